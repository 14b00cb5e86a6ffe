namespace Loom.Grains.Storage;

/// <summary>Where a job's latent is checkpointed between steps, so any silo can resume it.</summary>
public interface ILatentStore
{
    /// <summary>Replaces the job's checkpoint with the latent after <paramref name="stepsDone"/> steps.</summary>
    Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The job's last checkpoint, or null.</summary>
    Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Forgets the job's checkpoint.</summary>
    Task DeleteAsync(string jobId, CancellationToken cancellationToken = default);
}
