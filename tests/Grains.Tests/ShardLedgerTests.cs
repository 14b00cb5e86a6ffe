using Loom.Grains.Routing;

namespace Loom.Grains.Tests;

/// <summary>The router's own requests, as placement subtracts them from the directory's (older) queue depths.</summary>
public sealed class ShardLedgerTests
{
    [Fact]
    public async Task Counts_requests_out_now_and_at_a_past_report_time()
    {
        var ledger = new ShardLedger();
        DateTimeOffset before = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        object first = ledger.Begin("a"), second = ledger.Begin("a");
        ledger.Begin("b");
        await Task.Delay(20);
        DateTimeOffset during = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        ledger.End(first);

        Assert.Equal(1, ledger.InFlight("a"));
        Assert.Equal(1, ledger.InFlight("b"));
        Assert.Equal(0, ledger.InFlight("c"));
        Assert.Equal(0, ledger.OutAt("a", before)); // a report from before they were sent counts none of them
        Assert.Equal(2, ledger.OutAt("a", during)); // both were out when this report was taken, the answered one too
        Assert.Equal(1, ledger.OutAt("a", DateTimeOffset.UtcNow));

        ledger.End(second);
        Assert.Equal(0, ledger.InFlight("a"));
        Assert.Equal(2, ledger.OutAt("a", during));
    }

    [Fact]
    public async Task Busy_share_counts_the_shards_compute_seconds_of_requests_answered_in_the_span()
    {
        var ledger = new ShardLedger();
        DateTimeOffset from = DateTimeOffset.UtcNow;
        object a = ledger.Begin("a"), b = ledger.Begin("a"), failed = ledger.Begin("a");
        await Task.Delay(20);
        ledger.End(a, 0.25);
        ledger.End(b, 0.5);
        ledger.End(failed);
        DateTimeOffset to = from.AddSeconds(2);

        Assert.Equal(0.375, ledger.BusyShare("a", from, to), 9); // (0.25 + 0.5) s of 2 s; a failure computed nothing
        Assert.Equal(0, ledger.BusyShare("a", to, to.AddSeconds(1))); // answered before that span
        Assert.Equal(0, ledger.BusyShare("b", from, to));
    }

    [Fact]
    public void Shards_that_left_the_directory_are_forgotten()
    {
        var ledger = new ShardLedger();
        ledger.Begin("a");
        ledger.Begin("b");
        ledger.Retain(["b"]);
        Assert.Equal(0, ledger.InFlight("a"));
        Assert.Equal(1, ledger.InFlight("b"));
    }
}
