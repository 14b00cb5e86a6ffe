using Loom.Grains.Routing;

namespace Loom.Grains.Tests;

/// <summary>The shards a router keeps for its windows between their rounds (<see cref="WindowHomes"/>).</summary>
public sealed class WindowHomesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_windows_home_is_kept_from_every_other_window_but_not_from_itself()
    {
        var homes = new WindowHomes();
        var jobA = new JobCounters();
        var jobB = new JobCounters();
        homes.Answered(jobA, 0, "s1", T0, Keep);
        homes.Answered(jobA, 12, "s2", T0, Keep);
        homes.Answered(jobB, 0, "s3", T0, Keep);

        Assert.Equal(["s2", "s3"], homes.OfOthers(jobA, 0, T0).Order());
        Assert.Equal(["s1", "s2", "s3"], homes.OfOthers(new JobCounters(), 0, T0).Order());
        Assert.Equal(["s1", "s2", "s3"], homes.OfOthers(null, 0, T0).Order());
    }

    [Fact]
    public void A_window_that_moves_frees_its_old_home()
    {
        var homes = new WindowHomes();
        var job = new JobCounters();
        homes.Answered(job, 0, "s1", T0, Keep);
        homes.Answered(job, 0, "s2", T0.AddSeconds(1), Keep);
        Assert.Equal(["s2"], homes.OfOthers(null, 0, T0.AddSeconds(1)));
    }

    [Fact]
    public void Homes_go_when_their_run_ends_or_their_window_is_not_answered_within_its_keep()
    {
        var homes = new WindowHomes();
        var ended = new JobCounters();
        var quiet = new JobCounters();
        var live = new JobCounters();
        homes.Answered(ended, 0, "s1", T0, Keep);
        homes.Answered(quiet, 0, "s2", T0, Keep);
        homes.Answered(live, 0, "s3", T0.AddSeconds(2), Keep);
        ended.End();

        Assert.Equal(["s2", "s3"], homes.OfOthers(null, 0, T0.AddSeconds(2)).Order());
        Assert.Equal(["s3"], homes.OfOthers(null, 0, T0.AddSeconds(2.5)));
        Assert.Equal(1, homes.Count); // forgotten, not only left out
    }
}
