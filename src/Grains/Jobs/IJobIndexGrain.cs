namespace Loom.Grains.Jobs;

/// <summary>
/// Every accepted job, for listing and for idempotency keys (one per cluster, key "default", persisted). Jobs record
/// themselves on submit and on each phase change. One grain holding one state that is rewritten on every change: fine
/// for tens of thousands of jobs; a pool that keeps millions needs a database behind it instead.
/// </summary>
[Alias("loom.job-index")]
public interface IJobIndexGrain : IGrainWithStringKey
{
    /// <summary>Adds a job or updates its phase; the first acceptance's sequence, time and key are kept.</summary>
    [Alias("record")]
    Task RecordAsync(JobIndexEntry entry);

    /// <summary>One page of jobs, newest first.</summary>
    [Alias("list")]
    Task<JobPage> ListAsync(JobQuery query);

    /// <summary>The job first submitted under <paramref name="idempotencyKey"/>, or null.</summary>
    [Alias("find-key")]
    Task<string?> FindByKeyAsync(string idempotencyKey);
}
