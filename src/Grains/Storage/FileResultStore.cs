namespace Loom.Grains.Storage;

/// <summary>Result files in one directory (embedded mode; silos of one machine may share it). Writes are atomic.</summary>
public sealed class FileResultStore(string directory) : IResultStore
{
    /// <inheritdoc />
    public async Task SaveAsync(string jobId, byte[] result, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        string path = PathOf(jobId), temporary = path + $".{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, result, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc />
    public async Task<byte[]?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        string path = PathOf(jobId);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    private string PathOf(string jobId) => Path.Combine(directory, FileGrainStorage.SafeName(jobId) + ".safetensors");
}
