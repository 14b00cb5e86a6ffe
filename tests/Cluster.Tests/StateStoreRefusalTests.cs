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
        Assert.True(await EventuallyAsync(() => ServingIsAsync(health, HealthCheckResponse.Types.ServingStatus.Serving), () => Task.CompletedTask), "the silo never became ready");
        Assert.Equal(0, await GaugeAsync(http, silo, "loom_state_store_refusing_writes"));

        await using ConnectionMultiplexer filler = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        IDatabase db = filler.GetDatabase();
        // Redis frees memory on its own now and then (it shrinks a client's query buffer after a large write), so a
        // busy cluster keeps topping it up: the filler writes again before each look, as the cluster's own writes would.
        int blocks = 0;
        async Task FillAsync()
        {
            // Large values first, then ever smaller ones: a write is refused while used memory (with the write itself)
            // is over maxmemory, so small writes still fit after a large one was refused; the last tiny ones go over
            // the limit, and then Redis refuses every write, job state included: the failure this test is about.
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
        }

        Assert.True(await EventuallyAsync(() => ServingIsAsync(health, HealthCheckResponse.Types.ServingStatus.NotServing), FillAsync),
            "readiness stayed SERVING while Redis refused writes");
        Assert.True(await EventuallyAsync(async () => await GaugeAsync(http, silo, "loom_state_store_refusing_writes") == 1, FillAsync),
            "loom_state_store_refusing_writes stayed 0 while Redis refused writes");
        Assert.True(await GaugeAsync(http, silo, "loom_state_store_memory_ratio") > 0.9);
        Assert.Contains("the state store refuses writes: OOM", silo.Log, StringComparison.Ordinal);

        for (int i = 0; i < blocks; i++)
        {
            await db.KeyDeleteAsync($"filler:{i}");
        }
        Assert.True(await EventuallyAsync(() => ServingIsAsync(health, HealthCheckResponse.Types.ServingStatus.Serving), () => Task.CompletedTask),
            "readiness did not come back once Redis took writes again");
        Assert.Equal(0, await GaugeAsync(http, silo, "loom_state_store_refusing_writes"));
    }

    /// <summary>True once <paramref name="condition"/> holds, tried for up to 30 s with <paramref name="between"/> before each try.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, Func<Task> between)
    {
        for (int i = 0; i < 150; i++)
        {
            await between();
            if (await condition())
            {
                return true;
            }
            await Task.Delay(200);
        }
        return false;
    }

    private static async Task<bool> ServingIsAsync(Health.HealthClient health, HealthCheckResponse.Types.ServingStatus expected)
        => (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Status == expected;

    private static async Task<double> GaugeAsync(HttpClient http, SiloProcess silo, string name)
    {
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.MetricsPort}/metrics"));
        string line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
