using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Microsoft.Extensions.DependencyInjection;

namespace Loom.Grains.Tests;

/// <summary>
/// Where a router sends a window when several shards are equally cheap: back to the window's home shard, else to a
/// shard on its own silo (no serialization, and the router knows that shard's load exactly).
/// </summary>
public sealed class RoutingTests(GrainCluster grains) : IClassFixture<GrainCluster>
{
    [Fact]
    public async Task Among_idle_shards_a_window_goes_home_else_to_this_silos_shard()
    {
        await grains.ReportShardsAsync();
        ShardRouter router = grains.Silo(0).GetRequiredService<ShardRouter>();
        string here = Assert.Single(grains.Silo(0).GetRequiredService<ShardHost>().Workers).ShardId;
        string there = Assert.Single(grains.Silo(1).GetRequiredService<ShardHost>().Workers).ShardId;

        // Both shards idle and unmeasured: a random pick would land on the other silo's half the time.
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(here, (await EvaluateAsync(router, home: null)).ShardId);
        }
        // A window whose last evaluation ran on the other silo's shard goes back there while it is as cheap.
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(there, (await EvaluateAsync(router, home: there)).ShardId);
        }
    }

    private static Task<WindowResult> EvaluateAsync(ShardRouter router, string? home)
    {
        long[] shape = [1, 3, 2, 32, 32];
        var latent = WireCodec.Encode(new float[shape.Aggregate(1L, (a, b) => a * b)], WirePrecision.Float16);
        var request = new WindowRequest("routing", "physics", 0, false, 0, 0, 1.0, 1.0, shape, latent, null, null);
        return router.EvaluateAsync(request, null, null, CancellationToken.None, home);
    }
}
