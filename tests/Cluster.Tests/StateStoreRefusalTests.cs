using Grpc.Health.V1;
using Grpc.Net.Client;
using StackExchange.Redis;

namespace Loom.Cluster.Tests;

/// <summary>
/// A Redis that refuses writes (maxmemory reached under noeviction, as the chart runs it) shows on the silo's readiness
/// and on loom_state_store_refusing_writes before any job fails on it, and clears when memory is freed.
/// </summary>
public sealed class StateStoreRefusalTests
{
    [Fact]
    public async Task A_full_redis_makes_the_silo_not_ready_and_shows_on_metrics_until_memory_is_freed()
    {
        RedisServer redis = await RedisServer.StartAsync("--maxmemory", "24mb", "--maxmemory-policy", "noeviction");
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1, redis: redis);
        SiloProcess silo = cluster.Silos[0];
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{silo.GrpcPort}");
        var health = new Health.HealthClient(channel);
        using var http = new HttpClient();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, HealthCheckResponse.Types.ServingStatus.Serving));
        Assert.Equal(0, await GaugeAsync(http, silo, "loom_state_store_refusing_writes"));

        await using ConnectionMultiplexer filler = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        IDatabase db = filler.GetDatabase();
        // Large values first, then ever smaller ones: a write is refused while used memory (with the write itself) is
        // over maxmemory, so small writes still fit after a large one was refused; the last tiny ones go over the
        // limit, and from then on Redis refuses every write, job state included: the failure this test is about.
        int blocks = 0;
        foreach (int size in new[] { 1 << 20, 1 << 16, 1 << 12, 1 << 8, 16 })
        {
            while (true)
            {
                try
                {
                    await db.StringSetAsync($"filler:{blocks}", new byte[size]);
                    blocks++;
                }
                catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
                {
                    break;
                }
                Assert.True(blocks < 100_000, "Redis took every write under a maxmemory of 24 MB");
            }
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, HealthCheckResponse.Types.ServingStatus.NotServing));
        Assert.Equal(1, await GaugeAsync(http, silo, "loom_state_store_refusing_writes"));
        Assert.True(await GaugeAsync(http, silo, "loom_state_store_memory_ratio") > 0.9);
        Assert.Contains("the state store refuses writes: OOM", silo.Log, StringComparison.Ordinal);

        for (int i = 0; i < blocks; i++)
        {
            await db.KeyDeleteAsync($"filler:{i}");
        }
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, HealthCheckResponse.Types.ServingStatus.Serving));
        Assert.Equal(0, await GaugeAsync(http, silo, "loom_state_store_refusing_writes"));
    }

    /// <summary>Readiness, polled for up to 30 s until it is <paramref name="expected"/>; the last status seen.</summary>
    private static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(Health.HealthClient health, HealthCheckResponse.Types.ServingStatus expected)
    {
        HealthCheckResponse.Types.ServingStatus status = HealthCheckResponse.Types.ServingStatus.Unknown;
        for (int i = 0; i < 300 && status != expected; i++)
        {
            status = (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Status;
            if (status != expected)
            {
                await Task.Delay(100);
            }
        }
        return status;
    }

    private static async Task<double> GaugeAsync(HttpClient http, SiloProcess silo, string name)
    {
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.MetricsPort}/metrics"));
        string line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
