namespace Loom.Grains.Storage;

/// <summary>
/// Where a completed job's result file is kept, so that any silo can serve its download (the job's output path is on
/// the disk of whichever silo ran it). Files in embedded mode, Redis in cluster mode.
/// </summary>
public interface IResultStore
{
    /// <summary>Stores (or replaces) the result file of <paramref name="jobId"/>.</summary>
    Task SaveAsync(string jobId, byte[] result, CancellationToken cancellationToken = default);

    /// <summary>The result file of <paramref name="jobId"/>, or null if none was stored.</summary>
    Task<byte[]?> LoadAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Forgets the result file of <paramref name="jobId"/>; true if one was stored.</summary>
    Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default);
}
