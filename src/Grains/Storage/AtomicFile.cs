namespace Loom.Grains.Storage;

/// <summary>
/// Files replaced whole: written beside the target under a unique temporary name and moved into place. A failed write
/// (a full disk) removes its temporary file, so failures leave no debris that keeps the disk full.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of every temporary file.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>A unique temporary name beside <paramref name="path"/>.</summary>
    public static string TemporaryFor(string path) => $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically, creating its folder.</summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = TemporaryFor(path);
        try
        {
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            Remove(temporary);
        }
    }

    /// <summary>Deletes <paramref name="temporary"/> if it is still there (after a move it is not); never throws.</summary>
    public static void Remove(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the write's own error is the one that matters.
        }
    }
}
