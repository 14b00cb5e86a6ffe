using Loom.Grains.Routing;

namespace Loom.Grains.Tests;

/// <summary>Which shard a window goes to, given each shard's expected finish time (<see cref="ShardChoice"/>).</summary>
public sealed class ShardChoiceTests
{
    private static readonly bool[] NoneLocal = [false, false, false];

    [Fact]
    public void A_window_stays_home_while_only_the_measured_latency_differs()
    {
        // Home's forwards measured 30% slower than an idle shard's: noise on identical devices, not a queue.
        for (int seed = 0; seed < 32; seed++)
        {
            Assert.Equal(1, ShardChoice.Pick([0.250, 0.325, 0.251], home: 1, NoneLocal, new Random(seed)));
        }
    }

    [Fact]
    public void A_window_leaves_home_when_a_request_waits_there()
    {
        // One request ahead at home doubles its expected finish: an idle shard is taken instead.
        for (int seed = 0; seed < 32; seed++)
        {
            Assert.NotEqual(1, ShardChoice.Pick([0.250, 0.500, 0.251], home: 1, NoneLocal, new Random(seed)));
        }
    }

    [Fact]
    public void Without_a_home_the_cheapest_on_this_silo_win_and_dearer_shards_never_do()
    {
        bool[] local = [false, true, true, false];
        var seen = new HashSet<int>();
        for (int seed = 0; seed < 64; seed++)
        {
            // 0.27 is 8% over the cheapest (a tie), 0.30 is 20% over (not one); shard 0 ties but is on another silo.
            seen.Add(ShardChoice.Pick([0.25, 0.27, 0.30, 0.25], home: -1, local, new Random(seed)));
        }
        Assert.Equal([1], seen);

        seen.Clear();
        for (int seed = 0; seed < 64; seed++)
        {
            seen.Add(ShardChoice.Pick([0.25, 0.30, 0.26], home: -1, NoneLocal, new Random(seed)));
        }
        Assert.Equal([0, 2], seen.Order());
    }

    [Fact]
    public void Without_a_home_a_shard_on_this_silo_wins_over_another_silos_that_only_measured_faster()
    {
        // Shard 1 (here) measured 30% slower than the idle shards of another silo: noise, and its cost is known exactly
        // while theirs is a report's old news; shard 2 (here) has a request waiting and is no candidate.
        bool[] local = [false, true, true];
        for (int seed = 0; seed < 32; seed++)
        {
            Assert.Equal(1, ShardChoice.Pick([0.250, 0.325, 0.500], home: -1, local, new Random(seed)));
        }
    }

    [Fact]
    public void A_window_leaves_this_silo_when_every_shard_here_has_a_request_waiting()
    {
        bool[] local = [false, true, true];
        for (int seed = 0; seed < 32; seed++)
        {
            Assert.Equal(0, ShardChoice.Pick([0.250, 0.500, 0.520], home: -1, local, new Random(seed)));
        }
    }

    [Fact]
    public void Mismatched_inputs_are_refused_naming_the_argument()
    {
        var e = Assert.Throws<ArgumentException>(() => ShardChoice.Pick([0.25, 0.25], home: -1, [true], new Random(1)));
        Assert.Equal("costs", e.ParamName);
        Assert.Throws<ArgumentException>(() => ShardChoice.Pick([], home: -1, [], new Random(1)));
    }
}
