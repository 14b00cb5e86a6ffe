using Orleans.Concurrency;

namespace Loom.Contracts.Jobs;

/// <summary>
/// Every accepted job, for listing and for idempotency keys (one per cluster, key "default", persisted). Jobs record
/// themselves on submit and on each phase change. One grain holds the list in memory and writes each change as one
/// record (<see cref="Storage.IJobIndexStore"/>), so a submit costs the same at any length of the list; the list is read
/// whole when the grain activates (10,000 jobs: see <c>bench -- index</c>).
/// </summary>
[Alias("loom.job-index")]
public interface IJobIndexGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds a job or updates its phase; the first acceptance's sequence, time and key are kept. Interleaves with other
    /// calls (each record is its own write); one job's records are stored in the order they arrive.
    /// </summary>
    [Alias("record"), AlwaysInterleave]
    Task RecordAsync(JobIndexEntry entry);

    /// <summary>One page of jobs, newest first.</summary>
    [Alias("list")]
    Task<JobPage> ListAsync(JobQuery query);

    /// <summary>Up to <paramref name="max"/> jobs that reached a final phase at or before <paramref name="finishedBefore"/>, longest finished first (the retention sweep).</summary>
    [Alias("expired")]
    Task<IReadOnlyList<string>> ExpiredAsync(DateTimeOffset finishedBefore, int max);

    /// <summary>The job first submitted under <paramref name="idempotencyKey"/>, or null.</summary>
    [Alias("find-key")]
    Task<string?> FindByKeyAsync(string idempotencyKey);

    /// <summary>
    /// Binds <paramref name="idempotencyKey"/> to <paramref name="jobId"/> unless it is bound already, persisted before
    /// it returns, and returns the job the key is bound to. One grain decides, one call at a time: of any number of
    /// concurrent submits under one key, exactly one binds it, and every other one learns that job.
    /// </summary>
    [Alias("claim-key")]
    Task<string> ClaimKeyAsync(string idempotencyKey, string jobId);

    /// <summary>Unbinds <paramref name="idempotencyKey"/> if it is bound to <paramref name="jobId"/> and that job was never listed (its submit was refused).</summary>
    [Alias("release-key")]
    Task ReleaseKeyAsync(string idempotencyKey, string jobId);

    /// <summary>Forgets a deleted job: its list entry and every idempotency key bound to it (a later submit under one makes a new job).</summary>
    [Alias("remove")]
    Task RemoveAsync(string jobId);
}
