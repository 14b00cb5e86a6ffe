using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Loom.Grains.Tests;

/// <summary>Where grains are placed: jobs away from a draining silo, each shard on its own silo (a cluster of its own: a drain cannot be undone).</summary>
public sealed class PlacementTests(GrainCluster grains) : IClassFixture<GrainCluster>
{
    [Fact]
    public async Task New_jobs_are_placed_on_the_silo_that_is_not_draining()
    {
        // The second silo began draining (it will not take jobs), as SiloDrain starts it, and its heartbeat told the
        // directory; a job activated from outside goes to the first, whichever silo places it.
        SiloAddress open = grains.Cluster.Silos[0].SiloAddress;
        grains.Silo(1).GetRequiredService<LocalJobs>().BeginDrain();
        grains.Silo(1).GetRequiredService<ShardHost>().BeginDrain();
        await grains.ReportShardsAsync();
        string[] ids = Enumerable.Range(0, 12).Select(i => $"placed-{Guid.NewGuid():N}").ToArray();

        foreach (string id in ids)
        {
            await Assert.ThrowsAsync<JobNotFoundException>(() => grains.Client.GetGrain<IRenderJobGrain>(id).GetStatusAsync());
        }

        Dictionary<string, SiloAddress> where = await ActivationsAsync<IRenderJobGrain>(ids);
        Assert.Equal(ids.Length, where.Count);
        Assert.All(ids, id => Assert.Equal(open, where[id]));
    }

    [Fact]
    public async Task A_shard_grain_lives_on_the_silo_its_key_names()
    {
        foreach (var silo in grains.Cluster.Silos)
        {
            string shardId = Assert.Single(silo.ServiceProvider.GetRequiredService<ShardHost>().Workers).ShardId;
            await grains.Client.GetGrain<IShardGrain>(shardId).GetInfoAsync();
            Dictionary<string, SiloAddress> where = await ActivationsAsync<IShardGrain>([shardId]);
            Assert.Equal(silo.SiloAddress, where[shardId]);
        }
    }

    private async Task<Dictionary<string, SiloAddress>> ActivationsAsync<TGrain>(IReadOnlyCollection<string> keys)
    {
        IManagementGrain management = grains.Client.GetGrain<IManagementGrain>(0);
        DetailedGrainStatistic[] stats = await management.GetDetailedGrainStatistics();
        return stats.Where(s => keys.Contains(s.GrainId.Key.ToString()!)).ToDictionary(s => s.GrainId.Key.ToString()!, s => s.SiloAddress);
    }
}
