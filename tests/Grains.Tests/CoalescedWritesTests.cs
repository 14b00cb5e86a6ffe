using Loom.Grains.Storage;

namespace Loom.Grains.Tests;

/// <summary>Writes that calls arriving while one is in flight share (<see cref="CoalescedWrites"/>).</summary>
public sealed class CoalescedWritesTests
{
    [Fact]
    public async Task Calls_during_a_write_share_the_next_one_which_holds_every_change_made_before_them()
    {
        var state = new List<int>();
        var stored = new List<int[]>();
        var writes = new List<TaskCompletionSource>();
        var coalesced = new CoalescedWrites(() =>
        {
            stored.Add(state.ToArray()); // the bytes are taken when the write starts
            var write = new TaskCompletionSource();
            writes.Add(write);
            return write.Task;
        });

        state.Add(1);
        Task first = coalesced.WriteAsync();
        state.Add(2);
        Task second = coalesced.WriteAsync();
        state.Add(3);
        Task third = coalesced.WriteAsync();
        Assert.Single(writes);
        Assert.Same(second, third);
        Assert.False(second.IsCompleted);

        writes[0].SetResult();
        await first;
        Assert.True(SpinWait.SpinUntil(() => writes.Count == 2, TimeSpan.FromSeconds(10))); // the shared write started once the first ended
        Assert.Equal([1, 2, 3], stored[1]);
        Assert.False(third.IsCompleted);
        writes[1].SetResult();
        await Task.WhenAll(second, third);

        state.Add(4);
        Task fourth = coalesced.WriteAsync(); // nothing in flight: starts at once
        Assert.Equal(3, writes.Count);
        Assert.Equal([1, 2, 3, 4], stored[2]);
        writes[2].SetResult();
        await fourth;
    }

    [Fact]
    public async Task A_call_that_changed_nothing_waits_for_the_writes_of_those_that_did()
    {
        var (coalesced, writes) = Pending();
        Assert.True(coalesced.StoredAsync().IsCompleted); // nothing written or asked for

        Task first = coalesced.WriteAsync();
        Task stored = coalesced.StoredAsync();
        Assert.False(stored.IsCompleted);
        Task second = coalesced.WriteAsync(); // queued behind the first
        Task afterBoth = coalesced.StoredAsync();
        writes[0].SetResult();
        await stored;
        Assert.False(afterBoth.IsCompleted);
        Assert.True(SpinWait.SpinUntil(() => writes.Count == 2, TimeSpan.FromSeconds(10)));
        writes[1].SetResult();
        await Task.WhenAll(first, second, afterBoth);
    }

    [Fact]
    public async Task A_failed_write_fails_the_calls_that_shared_it_and_not_the_next()
    {
        var (coalesced, writes) = Pending();
        Task first = coalesced.WriteAsync();
        Task second = coalesced.WriteAsync();
        Task third = coalesced.WriteAsync();
        writes[0].SetException(new IOException("disk full"));
        await Assert.ThrowsAsync<IOException>(() => first);
        Assert.True(SpinWait.SpinUntil(() => writes.Count == 2, TimeSpan.FromSeconds(10)));
        writes[1].SetException(new IOException("still full"));
        Assert.Equal("still full", (await Assert.ThrowsAsync<IOException>(() => second)).Message);
        Assert.Equal("still full", (await Assert.ThrowsAsync<IOException>(() => third)).Message);

        Task after = coalesced.WriteAsync();
        writes[2].SetResult();
        await after;
    }

    /// <summary>Writes that complete when the test says so, one completion source per write started, in order.</summary>
    private static (CoalescedWrites Coalesced, List<TaskCompletionSource> Writes) Pending()
    {
        var writes = new List<TaskCompletionSource>();
        var coalesced = new CoalescedWrites(() =>
        {
            var write = new TaskCompletionSource();
            writes.Add(write);
            return write.Task;
        });
        return (coalesced, writes);
    }
}
