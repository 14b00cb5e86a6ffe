namespace Loom.Grains.Storage;

/// <summary>Result files in one directory (embedded mode; silos of one machine may share it). Writes are atomic.</summary>
public sealed class FileResultStore(string directory, StorageHealth? health = null) : IResultStore
{
    /// <inheritdoc />
    public async Task SaveAsync(string jobId, byte[] result, CancellationToken cancellationToken = default)
    {
        await StorageWrites.WriteAsync(PathOf(jobId), result, $"the result of job {jobId}", health, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<byte[]?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        string path = PathOf(jobId);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        string path = PathOf(jobId);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        return Task.FromResult(true);
    }

    private string PathOf(string jobId) => Path.Combine(directory, FileGrainStorage.SafeName(jobId) + ".safetensors");
}
