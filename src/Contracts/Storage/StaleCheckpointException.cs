namespace Loom.Contracts.Storage;

/// <summary>A checkpoint write from a job loop that a newer loop (a higher epoch) has superseded: refused, not retried.</summary>
[GenerateSerializer, Alias("loom.stale-checkpoint")]
public sealed class StaleCheckpointException : Exception
{
    /// <summary>Creates the error for <paramref name="jobId"/>.</summary>
    public StaleCheckpointException(string jobId, long epoch, long stored)
        : base($"job {jobId}: a checkpoint of epoch {epoch} was refused; the store holds epoch {stored} (a newer loop runs or ran the job).")
    {
        Epoch = epoch;
        Stored = stored;
    }

    /// <summary>The refused writer's epoch.</summary>
    [Id(0)]
    public long Epoch { get; }

    /// <summary>The epoch the store holds.</summary>
    [Id(1)]
    public long Stored { get; }
}
