using Loom.Contracts.Storage;

namespace Loom.Grains.Storage;

/// <summary>The file stores' one write path: atomic, its outcome told to <see cref="StorageHealth"/>, a full disk as <see cref="StorageFullException"/>.</summary>
internal static class StorageWrites
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically; <paramref name="what"/> names it in errors.</summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, string what, StorageHealth? health, CancellationToken cancellationToken = default)
    {
        try
        {
            await AtomicFile.WriteAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (StorageFullException.IsDiskFull(e))
        {
            health?.Failed(what, e);
            throw new StorageFullException(what, e);
        }
        health?.Succeeded();
    }
}
