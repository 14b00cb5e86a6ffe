using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>
/// Every heartbeat: report this silo's shards to the directory, and tick the job queue (admission, and resuming any
/// admitted job whose loop is not running, e.g. after its silo died).
/// </summary>
public sealed partial class SiloHeartbeat(IGrainFactory grains, ShardHost shards, IOptions<LoomOptions> options, ILogger<SiloHeartbeat> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        do
        {
            try
            {
                await grains.GetGrain<IShardDirectoryGrain>(0).ReportAsync(shards.Infos()).WaitAsync(stoppingToken);
                await grains.GetGrain<IJobQueueGrain>(JobQueueGrain.Key).TickAsync().WaitAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogHeartbeatFailed(logger, e.GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat failed ({Error}: {Detail}); trying again next beat")]
    private static partial void LogHeartbeatFailed(ILogger logger, string error, string detail);
}
