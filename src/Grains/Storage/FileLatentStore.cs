using Loom.Contracts.Storage;

namespace Loom.Grains.Storage;

/// <summary>
/// Checkpoints as files in one directory (embedded mode; silos of one machine may share it). Writes are atomic and
/// fenced by epoch under an exclusive lock file (<c>FileShare.None</c>, an advisory lock across processes on Unix).
/// </summary>
public sealed class FileLatentStore(string directory, StorageHealth? health = null) : ILatentStore
{
    /// <inheritdoc />
    public Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default)
        => FencedWriteAsync(jobId, checkpoint, cancellationToken);

    /// <inheritdoc />
    public async Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
        => await ReadAsync(PathOf(jobId), cancellationToken).ConfigureAwait(false) is { IsTombstone: false } checkpoint ? checkpoint : null;

    /// <inheritdoc />
    public Task DeleteAsync(string jobId, long epoch, CancellationToken cancellationToken = default)
        => FencedWriteAsync(jobId, LatentCheckpoint.Tombstone(epoch), cancellationToken, quiet: true);

    /// <summary>Where the checkpoint of <paramref name="jobId"/> lies under <paramref name="directory"/>.</summary>
    public static string PathIn(string directory, string jobId) => Path.Combine(directory, FileGrainStorage.SafeName(jobId) + ".latent");

    private async Task FencedWriteAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken, bool quiet = false)
    {
        string path = PathOf(jobId);
        Directory.CreateDirectory(directory);
        await using FileStream fence = await LockAsync(path + ".lock", cancellationToken).ConfigureAwait(false);
        long stored = await StoredEpochAsync(path, cancellationToken).ConfigureAwait(false);
        if (stored > checkpoint.Epoch)
        {
            if (quiet)
            {
                return; // a newer loop's checkpoint or tombstone stays
            }
            throw new StaleCheckpointException(jobId, checkpoint.Epoch, stored);
        }
        await StorageWrites.WriteAsync(path, checkpoint.ToBytes(), $"the checkpoint of job {jobId}", health, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The epoch of what is stored (a corrupt checkpoint counts as none: it is replaced).</summary>
    private static async Task<long> StoredEpochAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadAsync(path, cancellationToken).ConfigureAwait(false))?.Epoch ?? long.MinValue;
        }
        catch (InvalidDataException)
        {
            return long.MinValue;
        }
    }

    private static async Task<LatentCheckpoint?> ReadAsync(string path, CancellationToken cancellationToken)
        => File.Exists(path) ? LatentCheckpoint.FromBytes(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) : null;

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e) when (attempt < 200 && !StorageFullException.IsDiskFull(e))
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string PathOf(string jobId) => PathIn(directory, jobId);
}
