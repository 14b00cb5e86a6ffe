using Orleans.Concurrency;

namespace Loom.Contracts.Jobs;

/// <summary>One render job (key: the job id). Persisted; its sampling loop runs outside grain calls.</summary>
[Alias("loom.render-job")]
public interface IRenderJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Validates and accepts <paramref name="spec"/>, then queues the job and lists it in the job index. Idempotent: the
    /// same spec again returns the job as it is. A different spec under an existing id, or any bad field, throws
    /// <see cref="InvalidJobSpecException"/> and persists nothing (field <c>idempotency_key</c> when the job was
    /// submitted under <paramref name="idempotencyKey"/>, else <c>job_id</c>).
    /// </summary>
    /// <param name="spec">What to render.</param>
    /// <param name="idempotencyKey">The client's idempotency key, kept with the job; null or empty for none.</param>
    [Alias("submit")]
    Task<JobStatus> SubmitAsync(JobSpec spec, string? idempotencyKey = null);

    /// <summary>The job now; <see cref="JobNotFoundException"/> if it was never accepted.</summary>
    [Alias("status")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Cancels the job (stops its shard work); a final job is returned unchanged.</summary>
    [Alias("cancel")]
    Task<JobStatus> CancelAsync(string reason);

    /// <summary>
    /// Deletes the job: cancels it first if it is queued or running (the caller decides whether that is wanted), then
    /// removes its result, checkpoint, output file, list entry, idempotency keys and state. Afterwards the job is not
    /// found; the same id or key may be submitted again. <see cref="JobNotFoundException"/> if it does not exist.
    /// </summary>
    /// <returns>The job as it was just before it was deleted.</returns>
    [Alias("delete")]
    Task<JobStatus> DeleteAsync();

    /// <summary>Admission by the queue: start sampling. One-way, so the queue never waits on a job.</summary>
    [Alias("start"), OneWay]
    Task StartAsync(long admissionOrder);

    /// <summary>Heartbeat from the queue: resume the loop from the last checkpoint if it is not running here.</summary>
    [Alias("ensure-running"), OneWay]
    Task EnsureRunningAsync(long admissionOrder);
}
