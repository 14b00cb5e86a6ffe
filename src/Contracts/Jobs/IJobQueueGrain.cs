namespace Loom.Contracts.Jobs;

/// <summary>
/// Admission (one per cluster, key "default", persisted): at most <c>Loom:MaxRunningJobs</c> jobs sample
/// at once; waiting jobs start by priority, then in submission order. It also keeps admitted jobs alive: each silo's
/// heartbeat ticks it, and it asks every running job to make sure its loop runs (resuming it after a crash).
/// </summary>
[Alias("loom.job-queue")]
public interface IJobQueueGrain : IGrainWithStringKey
{
    /// <summary>Queues a job (no-op if it is already queued or running).</summary>
    [Alias("enqueue")]
    Task EnqueueAsync(string jobId, int priority);

    /// <summary>A job reached a final phase: frees its slot.</summary>
    [Alias("finished")]
    Task FinishedAsync(string jobId);

    /// <summary>Admits what fits and pokes running jobs.</summary>
    [Alias("tick")]
    Task TickAsync();

    /// <summary>Holds (true) or resumes (false) admission; running jobs go on.</summary>
    [Alias("pause")]
    Task SetPausedAsync(bool paused);

    /// <summary>Queue length, running jobs, and whether admission is held.</summary>
    [Alias("info")]
    Task<QueueInfo> GetInfoAsync();
}
