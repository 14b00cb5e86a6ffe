namespace Loom.Contracts.Storage;

/// <summary>Stored data (a grain's state, a checkpoint, a result) cannot be read back as it was written.</summary>
[GenerateSerializer, Alias("loom.corrupt-state")]
public sealed class CorruptStateException : Exception
{
    /// <summary>Creates the error for <paramref name="what"/>.</summary>
    public CorruptStateException(string what, Exception? inner = null)
        : base($"{what} is corrupt: {inner?.Message ?? "it does not read back as it was written"}", inner)
    {
    }

    /// <summary>True when <paramref name="e"/> or an exception inside it is corrupt stored data.</summary>
    public static bool IsCorrupt(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is InvalidDataException or CorruptStateException)
            {
                return true;
            }
        }
        return false;
    }
}
