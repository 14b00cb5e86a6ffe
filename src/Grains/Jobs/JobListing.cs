using Loom.Contracts.Jobs;
using Microsoft.Extensions.Logging;
using Polly;
using static Loom.Grains.Jobs.RenderJobLog;

namespace Loom.Grains.Jobs;

/// <summary>A job's entry in the job index (the list <c>loom jobs</c> shows), kept in step with its state.</summary>
/// <param name="jobId">The job.</param>
/// <param name="index">The job index.</param>
/// <param name="retry">The storage retry pipeline.</param>
/// <param name="logger">The job's logger.</param>
public sealed class JobListing(string jobId, IJobIndexGrain index, ResiliencePipeline retry, ILogger logger)
{
    /// <summary>Records the job as <paramref name="job"/> says (idempotent); throws if the index cannot be reached.</summary>
    public Task RecordAsync(RenderJobState job) => index.RecordAsync(Entry(job));

    /// <summary>A phase change for the list; the job goes on if the index cannot be reached (its list entry lags).</summary>
    public async Task TryRecordAsync(RenderJobState job)
    {
        JobIndexEntry entry = Entry(job);
        try
        {
            await retry.ExecuteAsync(async _ => await index.RecordAsync(entry));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogIndexFailed(logger, jobId, e.GetType().Name, e.Message);
        }
    }

    /// <summary>Takes the job off the list.</summary>
    public Task RemoveAsync() => index.RemoveAsync(jobId);

    private JobIndexEntry Entry(RenderJobState job)
        => new(jobId, job.Spec!.Model, job.Phase, job.SubmittedAt, job.IdempotencyKey, Owner: job.Spec.Owner, FinishedAt: job.FinishedAt);
}
