using Loom.Grains;
using Loom.Grains.Routing;

namespace Loom.Cluster.Tests;

/// <summary>A shard's evaluation timeout follows its measured p99 (times the multiple, floor and ceiling), not one fixed 120 s.</summary>
public sealed class ShardLatenciesTests
{
    private static ShardLatencies Measured(double seconds, int count = 100, double multiple = 10)
    {
        var latencies = new ShardLatencies(new LoomEvaluationOptions { EvaluationTimeoutMultiple = multiple });
        for (int i = 0; i < count; i++)
        {
            latencies.Observe("s", seconds);
        }
        return latencies;
    }

    [Fact]
    public void A_shard_not_measured_yet_gets_the_configured_timeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), new ShardLatencies(new LoomEvaluationOptions()).TimeoutFor("s"));
        Assert.Equal(TimeSpan.FromSeconds(120), Measured(0.05, count: ShardLatencies.MinSamples - 1).TimeoutFor("s"));
    }

    [Fact]
    public void A_fast_shard_is_abandoned_after_the_floor_not_after_minutes()
        => Assert.Equal(TimeSpan.FromSeconds(5), Measured(0.05).TimeoutFor("s"));

    [Fact]
    public void A_slower_shard_gets_a_multiple_of_its_p99()
        => Assert.Equal(TimeSpan.FromSeconds(20), Measured(2).TimeoutFor("s"));

    [Fact]
    public void The_configured_timeout_is_the_ceiling_and_with_multiple_0_the_only_timeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(120), Measured(30).TimeoutFor("s"));
        Assert.Equal(TimeSpan.FromSeconds(120), Measured(0.05, multiple: 0).TimeoutFor("s"));
    }

    [Fact]
    public void The_tail_counts_not_the_mean()
    {
        ShardLatencies latencies = Measured(0.1, count: 98);
        latencies.Observe("s", 3);
        latencies.Observe("s", 3);

        Assert.Equal(3, latencies.P99("s"));
        Assert.Equal(TimeSpan.FromSeconds(30), latencies.TimeoutFor("s"));
    }

    [Fact]
    public void A_shard_with_few_measurements_borrows_the_p99_of_all_shards_unless_it_must_load_the_model()
    {
        ShardLatencies latencies = Measured(2);
        latencies.Observe("new", 2);

        Assert.Equal(TimeSpan.FromSeconds(20), latencies.TimeoutFor("new"));
        Assert.Equal(TimeSpan.FromSeconds(120), latencies.TimeoutFor("new", modelLoaded: false));
    }
}
