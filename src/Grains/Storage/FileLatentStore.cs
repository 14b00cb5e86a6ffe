namespace Loom.Grains.Storage;

/// <summary>Checkpoints as files in one directory (embedded mode; silos of one machine may share it). Writes are atomic.</summary>
public sealed class FileLatentStore(string directory) : ILatentStore
{
    /// <inheritdoc />
    public async Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        string path = PathOf(jobId), temporary = path + $".{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, checkpoint.ToBytes(), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
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

    private string PathOf(string jobId) => Path.Combine(directory, FileGrainStorage.SafeName(jobId) + ".latent");
}
