using Loom.Contracts.Jobs;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>
/// Deletes jobs whose retention (<c>Loom:Results:Retention</c>) has run out: their result, output file, checkpoint and
/// state, as <c>loom delete</c> does. Every silo sweeps, on the heartbeat's clock (at most once a minute): the job index
/// names the expired jobs, oldest first, and each job's own grain checks its expiry again before it is deleted, so two
/// silos sweeping at once delete each job once.
/// </summary>
public sealed partial class RetentionSweeper(
    IGrainFactory grains, IOptions<LoomResultsOptions> results, IOptions<LoomShardOptions> loom, TimeProvider clock, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    /// <summary>Most jobs deleted by one sweep (the next sweep takes the rest).</summary>
    public const int BatchSize = 200;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan retention = results.Value.Retention;
        if (retention <= TimeSpan.Zero)
        {
            return; // kept for ever
        }
        // A tenth of the retention, between one heartbeat and a minute: a 7-day retention is kept to the minute.
        TimeSpan every = TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, loom.Value.HeartbeatInterval.Ticks, TimeSpan.FromMinutes(1).Ticks));
        using var timer = new PeriodicTimer(every, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, e.GetType().Name, e.Message);
            }
        }
    }

    /// <summary>One sweep: deletes up to <see cref="BatchSize"/> expired jobs; returns how many this call deleted.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = clock.GetUtcNow();
        IReadOnlyList<string> expired = await grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key)
            .ExpiredAsync(now - results.Value.Retention, BatchSize).WaitAsync(cancellationToken);
        int deleted = 0;
        foreach (string jobId in expired)
        {
            IRenderJobGrain job = grains.GetGrain<IRenderJobGrain>(jobId);
            try
            {
                JobStatus status = await job.GetStatusAsync().WaitAsync(cancellationToken);
                if (status.ExpiresAt is not { } expires || expires > now)
                {
                    continue; // not final, or the index's view lags (the job records its finish again)
                }
                await job.DeleteAsync().WaitAsync(cancellationToken);
                deleted++;
                LogExpired(logger, jobId, status.Phase, expires);
            }
            catch (JobNotFoundException)
            {
                await grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key).RemoveAsync(jobId).WaitAsync(cancellationToken); // deleted by another silo
            }
        }
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} ({Phase}) expired at {ExpiresAt:u}: result, output, checkpoint and state deleted")]
    private static partial void LogExpired(ILogger logger, string jobId, JobPhase phase, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "retention sweep failed ({Error}: {Detail}); trying again next sweep")]
    private static partial void LogSweepFailed(ILogger logger, string error, string detail);
}
