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
