namespace Loom.Contracts.Storage;

/// <summary>A write failed because the silo's data directory (or its quota) is full. Not retried: space does not come back by waiting.</summary>
[GenerateSerializer, Alias("loom.storage-full")]
public sealed class StorageFullException : IOException
{
    /// <summary>Creates the error for a write to <paramref name="what"/>.</summary>
    public StorageFullException(string what, Exception? inner = null)
        : base($"no space left to write {what}; free space in the silo's data directory (Loom:DataDirectory) or give it more, then retry.", inner)
    {
    }

    /// <summary>True when <paramref name="e"/> or an exception inside it says the disk or the quota is full.</summary>
    public static bool IsDiskFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            // ENOSPC (28), EDQUOT (122) on Linux; ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.
            if (e is StorageFullException
                || (e is IOException && (e.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027)
                    || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                    || e.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase))))
            {
                return true;
            }
        }
        return false;
    }
}
