using Loom.Contracts.Jobs;

namespace Loom.Grains.Storage;

/// <summary>
/// Where the job index keeps its entries and idempotency keys, one record per job and per key: an update writes that
/// record alone, so a submit costs the same with a hundred jobs listed as with a hundred thousand. Files in embedded mode
/// (<see cref="FileJobIndexStore"/>), Redis hashes in cluster mode.
/// </summary>
public interface IJobIndexStore
{
    /// <summary>Every entry and key (the index reads them once, when it activates); unreadable entries are left out and named.</summary>
    Task<JobIndexContents> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="entry"/> (adds it or replaces the job's entry).</summary>
    Task SaveAsync(JobIndexEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry of <paramref name="jobId"/>, if there is one.</summary>
    Task RemoveAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Binds <paramref name="key"/> to <paramref name="jobId"/> unless it is bound; returns the job it is bound to (durable when this returns).</summary>
    Task<string> BindKeyAsync(string key, string jobId, CancellationToken cancellationToken = default);

    /// <summary>Unbinds <paramref name="key"/>.</summary>
    Task UnbindKeyAsync(string key, CancellationToken cancellationToken = default);
}
