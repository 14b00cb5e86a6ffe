using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>
/// The job index as older silos persisted it, one state rewritten whole on every change. Read once to move its entries
/// to the <see cref="Storage.IJobIndexStore"/>, then cleared. Never renumber these members.
/// </summary>
[GenerateSerializer, Alias("loom.job-index-state")]
public sealed class JobIndexState
{
    /// <summary>Every accepted job by id.</summary>
    [Id(0)] public Dictionary<string, JobIndexEntry> Jobs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Idempotency key to the job it first created.</summary>
    [Id(1)] public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Sequence number of the next new job.</summary>
    [Id(2)] public long NextSequence { get; set; } = 1;
}
