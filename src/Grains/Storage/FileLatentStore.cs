namespace Loom.Grains.Storage;

/// <summary>Checkpoints as files in one directory (embedded mode; silos of one machine may share it). Writes are atomic.</summary>
public sealed class FileLatentStore(string directory, StorageHealth? health = null) : ILatentStore
{
    /// <inheritdoc />
    public async Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        await StorageWrites.WriteAsync(PathOf(jobId), checkpoint.ToBytes(), $"the checkpoint of job {jobId}", health, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        string path = PathOf(jobId);
        return File.Exists(path) ? LatentCheckpoint.FromBytes(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) : null;
    }

    /// <inheritdoc />
    public Task DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(jobId));
        return Task.CompletedTask;
    }

    /// <summary>Where the checkpoint of <paramref name="jobId"/> lies under <paramref name="directory"/>.</summary>
    public static string PathIn(string directory, string jobId) => Path.Combine(directory, FileGrainStorage.SafeName(jobId) + ".latent");

    private string PathOf(string jobId) => PathIn(directory, jobId);
}
