using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>
/// Every heartbeat: report this silo's shards to the directory, and tick the job queue (admission, and resuming any
/// admitted job whose loop is not running, e.g. after its silo died) and read its length for <c>loom_queue_waiting</c>.
/// </summary>
public sealed partial class SiloHeartbeat(
    IGrainFactory grains, ShardHost shards, SiloReadiness readiness, LoomMetrics metrics, IOptions<LoomShardOptions> options, ILogger<SiloHeartbeat> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        do
        {
            // Two beats in one: a directory that cannot be reached must not hold up admission and resumes.
            try
            {
                await grains.GetGrain<IShardDirectoryGrain>(0).ReportAsync(shards.Infos()).WaitAsync(stoppingToken);
                readiness.Reported();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogHeartbeatFailed(logger, "directory", e.GetType().Name, e.Message);
            }
            try
            {
                IJobQueueGrain queue = grains.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);
                await queue.TickAsync().WaitAsync(stoppingToken);
                metrics.QueueWaiting.Set((await queue.GetInfoAsync().WaitAsync(stoppingToken)).Waiting);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogHeartbeatFailed(logger, "queue", e.GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat to the {Target} failed ({Error}: {Detail}); trying again next beat")]
    private static partial void LogHeartbeatFailed(ILogger logger, string target, string error, string detail);
}
