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
        long stored = await StoredEpochAsync(path, checkpoint.Epoch, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The epoch of what is stored (a corrupt checkpoint counts as none: it is replaced). Only a header that claims an
    /// epoch above <paramref name="writing"/>'s is verified against the whole checkpoint: whatever its bytes, a
    /// checkpoint whose header claims at most that is replaced either way, so reading and hashing it all on every step
    /// (2.4 MB for a 196-frame video) was time on the step's critical path that decided nothing.
    /// </summary>
    private static async Task<long> StoredEpochAsync(string path, long writing, CancellationToken cancellationToken)
    {
        try
        {
            long? claimed = await ClaimedEpochAsync(path, cancellationToken).ConfigureAwait(false);
            if (claimed is not { } epoch || epoch <= writing)
            {
                return claimed ?? long.MinValue;
            }
            return (await ReadAsync(path, cancellationToken).ConfigureAwait(false))?.Epoch ?? long.MinValue;
        }
        catch (InvalidDataException)
        {
            return long.MinValue;
        }
    }

    /// <summary>The epoch the stored checkpoint's header claims, unverified; null when there is none or no header.</summary>
    private static async Task<long?> ClaimedEpochAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
        byte[] header = new byte[LatentCheckpoint.EpochHeaderBytes];
        int read = await file.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return LatentCheckpoint.ClaimedEpoch(header.AsSpan(0, read), file.Length);
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
