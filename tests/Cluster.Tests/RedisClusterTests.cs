using Loom.Contracts.Jobs;
namespace Loom.Cluster.Tests;

/// <summary>Cluster mode against a real redis-server: membership, grain state and checkpoints all live there.</summary>
public sealed class RedisClusterTests
{
    [Fact]
    public async Task Two_silo_processes_form_one_cluster_and_jobs_survive_a_silo_restart_and_a_redis_restart()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 2, shardsPerSilo: 2);
        var shards = await cluster.WaitForShardsAsync(4);
        Assert.Equal(2, shards.Select(s => s.Silo).Distinct().Count());

        // A job whose silo is killed and started again on the same ports.
        JobSpec first = Specs.SixWindows(seed: 51, steps: 30) with { Plan = "1-10:1" };
        await cluster.SubmitAsync("restart-silo", first);
        JobStatus running = await cluster.WaitAsync("restart-silo", s => s.StepsDone >= 3);
        SiloProcess host = cluster.SiloOf(running.Host);
        await host.KillAsync();
        cluster.StartSilo(host.SiloPort, host.GatewayPort);
        JobStatus done = await cluster.WaitFinalAsync("restart-silo");
        Assert.Equal(JobPhase.Completed, done.Phase);
        Assert.Equal(await cluster.ReferenceHashAsync(first), done.LatentSha256);

        // A job accepted just before Redis is killed (no shutdown save; append-only file) and started again.
        JobSpec second = Specs.SixWindows(seed: 52, steps: 20);
        await cluster.SubmitAsync("restart-redis", second);
        await cluster.Redis.RestartAsync();
        JobStatus survived = await cluster.WaitFinalAsync("restart-redis");
        Assert.Equal(JobPhase.Completed, survived.Phase);
        Assert.Equal(await cluster.ReferenceHashAsync(second), survived.LatentSha256);
    }
}
