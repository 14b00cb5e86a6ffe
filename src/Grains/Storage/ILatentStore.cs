using Loom.Contracts.Storage;

namespace Loom.Grains.Storage;

/// <summary>
/// Where a job's latent is checkpointed between steps, so any silo can resume it. Writes are fenced by epoch: a store
/// never replaces what it holds (a checkpoint or a tombstone) with a checkpoint of a lower epoch.
/// </summary>
public interface ILatentStore
{
    /// <summary>Replaces the job's checkpoint with <paramref name="checkpoint"/>.</summary>
    /// <exception cref="StaleCheckpointException">The store holds a higher epoch: the writer is superseded.</exception>
    Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The job's last checkpoint, or null (none, or only a tombstone).</summary>
    Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Forgets the job's checkpoint, leaving a tombstone of <paramref name="epoch"/> so older loops cannot write one again.</summary>
    Task DeleteAsync(string jobId, long epoch, CancellationToken cancellationToken = default);
}
