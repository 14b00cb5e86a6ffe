namespace Loom.Grains.Jobs;

/// <summary>The queue's persisted state. Never renumber these members.</summary>
[GenerateSerializer, Alias("loom.job-queue-state")]
public sealed class JobQueueState
{
    /// <summary>Waiting jobs.</summary>
    [Id(0)] public List<QueueEntry> Waiting { get; set; } = [];

    /// <summary>Admitted, not yet final.</summary>
    [Id(1)] public List<string> Running { get; set; } = [];

    /// <summary>Next submission sequence number.</summary>
    [Id(2)] public long NextSequence { get; set; }

    /// <summary>Jobs admitted so far.</summary>
    [Id(3)] public long Admitted { get; set; }

    /// <summary>Admission held.</summary>
    [Id(4)] public bool Paused { get; set; }

    /// <summary>Admission order of each running job.</summary>
    [Id(5)] public Dictionary<string, long> AdmissionOrders { get; set; } = [];
}

/// <summary>A waiting job.</summary>
[GenerateSerializer, Alias("loom.queue-entry"), Immutable]
public sealed record QueueEntry(string JobId, int Priority, long Sequence)
{
    /// <summary>
    /// True when this entry is admitted before <paramref name="other"/>: higher priority first, then first submitted.
    /// Compared as they are, never negated (the negation of int.MinValue is itself).
    /// </summary>
    public bool RunsBefore(QueueEntry other)
        => Priority != other.Priority ? Priority > other.Priority : Sequence < other.Sequence;
}
