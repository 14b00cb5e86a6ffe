using System.Globalization;
using Loom.Grains;
using Loom.Grains.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>
/// Cluster mode: every heartbeat interval, reads Redis' memory figures and writes a small expiring probe key, so a Redis
/// that refuses writes (maxmemory reached under <c>noeviction</c>, out of memory, a read-only replica) shows on readiness
/// and on <c>loom_state_store_refusing_writes</c> / <c>loom_state_store_memory_ratio</c> before jobs fail on it. A Redis
/// that cannot be reached is not "refusing": the heartbeat and Orleans report that.
/// </summary>
public sealed partial class StateStoreProbe(
    StorageHealth health, LoomMetrics metrics, IOptions<LoomShardOptions> options, IOptions<LoomHostOptions> host, ILogger<StateStoreProbe> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A connection of its own: INFO is an admin command, which the silo's shared connection does not allow.
        ConfigurationOptions configuration = ConfigurationOptions.Parse(host.Value.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.AllowAdmin = true;
        await using ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        do
        {
            try
            {
                await ProbeAsync(redis);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogProbeFailed(logger, e.GetType().Name, e.Message); // unreachable: the heartbeat and Orleans report that
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One probe: the memory ratio, then a write whose refusal marks the store refusing (and whose success clears it).</summary>
    private async Task ProbeAsync(ConnectionMultiplexer redis)
    {
        IDatabase db = redis.GetDatabase();
        string info = await redis.GetServers()[0].InfoRawAsync("memory").ConfigureAwait(false) ?? "";
        long used = Field(info, "used_memory"), max = Field(info, "maxmemory");
        metrics.StateStoreMemoryRatio.Set(max > 0 ? (double)used / max : 0);
        try
        {
            await db.StringSetAsync($"loom:{host.Value.ServiceId}:probe:{Environment.MachineName}", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TimeSpan.FromMinutes(1)).ConfigureAwait(false);
            health.StateStoreProbed(null);
        }
        catch (RedisServerException e)
        {
            string policy = FieldText(info, "maxmemory_policy");
            health.StateStoreProbed(max > 0
                ? $"{e.Message} (used_memory {used} of maxmemory {max} bytes, policy {policy}): free memory in Redis (delete or expire jobs) or raise its maxmemory"
                : e.Message);
        }
    }

    private static long Field(string info, string name)
        => long.TryParse(FieldText(info, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : 0;

    private static string FieldText(string info, string name)
    {
        foreach (string line in info.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }
        return "";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "state store probe failed ({Error}: {Detail}); trying again next interval")]
    private static partial void LogProbeFailed(ILogger logger, string error, string detail);
}
