using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
namespace Loom.Cluster.Tests;

/// <summary>
/// <c>Loom:SimulatedForward</c>, what the scaling benchmark runs beyond this machine's cores: the shard waits the given
/// time per request instead of running the model and answers with the request's latent; the rest of the job is real.
/// </summary>
public sealed class SimulatedShardTests
{
    [Fact]
    public async Task A_simulated_shard_waits_the_forward_time_per_request_and_the_job_completes()
    {
        var forward = TimeSpan.FromMilliseconds(80);
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1,
            settings: new Dictionary<string, string> { ["SimulatedForward"] = forward.ToString("c", System.Globalization.CultureInfo.InvariantCulture) });
        ShardInfo shard = Assert.Single(await cluster.WaitForShardsAsync(1));
        Assert.Equal("simulated:0", shard.Device);
        Assert.Contains("physics", shard.Models); // counts as loaded: placement weighs queues only

        JobSpec spec = Specs.Small(seed: 5); // 3 steps, plan 1:1: 4 evaluations of one window
        await cluster.SubmitAsync("simulated", spec);
        JobStatus done = await cluster.WaitFinalAsync("simulated");
        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.Equal(4, done.Evaluations);
        Assert.True(done.FinishedAt - done.StartedAt >= forward * done.Evaluations, $"ran {done.FinishedAt - done.StartedAt} for {done.Evaluations} waits of {forward}");

        ShardInfo after = shard;
        for (int i = 0; i < 50 && after.LatencySeconds == 0; i++) // the directory hears of shards on each heartbeat
        {
            await Task.Delay(100);
            after = (await cluster.WaitForShardsAsync(1)).Single();
        }
        Assert.InRange(after.LatencySeconds, forward.TotalSeconds, forward.TotalSeconds + 0.1);
        Assert.Contains("SIMULATED shards", cluster.Silos[0].Log, StringComparison.Ordinal);
    }
}
