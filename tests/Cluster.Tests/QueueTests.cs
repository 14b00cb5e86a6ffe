using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
namespace Loom.Cluster.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class QueueTests(SharedCluster shared)
{
    private LoomTestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task A_hundred_jobs_from_several_callers_all_complete_once_and_start_by_priority()
    {
        IJobQueueGrain queue = Cluster.Client.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);
        await queue.SetPausedAsync(true);
        long admittedBefore = (await queue.GetInfoAsync()).Admitted;
        var callers = new[] { Cluster.Client, await Cluster.ConnectAsync(), await Cluster.ConnectAsync(), await Cluster.ConnectAsync() };
        string[] ids = Enumerable.Range(0, 100).Select(i => $"bulk-{i:D3}").ToArray();
        int Priority(int i) => i % 3;
        try
        {
            // Each caller submits its quarter concurrently; every tenth job is submitted twice (a client retry).
            await Task.WhenAll(callers.Select((client, c) => Task.WhenAll(Enumerable.Range(0, 100).Where(i => i % 4 == c).SelectMany(i =>
                Enumerable.Repeat(i, i % 10 == 0 ? 2 : 1).Select(_ => Cluster.SubmitAsync(ids[i], Specs.Small(seed: 1000 + i, priority: Priority(i)), client))))));
            Assert.Equal(100, (await queue.GetInfoAsync()).Waiting);
        }
        finally
        {
            await queue.SetPausedAsync(false);
        }

        JobStatus[] done = await Task.WhenAll(ids.Select(id => Cluster.WaitFinalAsync(id)));

        Assert.All(done, s => Assert.Equal(JobPhase.Completed, s.Phase));
        Assert.Equal(100, done.Select(s => s.OutputPath).Distinct().Count());
        Assert.Equal(admittedBefore + 100, (await queue.GetInfoAsync()).Admitted);
        Assert.All(done, s => Assert.Equal(0, s.Resumes));
        // All were waiting when admission resumed, so they start strictly by priority (ties by submission).
        int[] priorities = done.OrderBy(s => s.AdmissionOrder).Select(s => s.Spec.Priority).ToArray();
        Assert.Equal(priorities.OrderByDescending(p => p), priorities);
    }

    [Fact]
    public async Task Cancel_stops_the_jobs_shard_work_within_a_second()
    {
        JobSpec spec = Specs.SixWindows(seed: 41, steps: 400) with { Plan = "none" };
        await Cluster.SubmitAsync("cancel-me", spec);
        await Cluster.WaitAsync("cancel-me", s => s.StepsDone >= 2);

        JobStatus cancelled = await Cluster.Client.GetGrain<IRenderJobGrain>("cancel-me").CancelAsync("user asked");
        Assert.Equal(JobPhase.Cancelled, cancelled.Phase);
        Assert.Equal("user asked", cancelled.Error);

        await Task.Delay(TimeSpan.FromSeconds(1));
        long settled = await ShardWorkAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(settled, await ShardWorkAsync());
        JobStatus later = await Cluster.StatusAsync("cancel-me");
        Assert.Equal(JobPhase.Cancelled, later.Phase);
        Assert.True(later.StepsDone < spec.Steps);
    }

    [Theory]
    [InlineData("frames")]
    [InlineData("height")]
    [InlineData("window_overlap")]
    [InlineData("plan")]
    [InlineData("guidance")]
    [InlineData("model")]
    [InlineData("output")]
    public async Task A_bad_spec_is_refused_with_its_field_named_and_nothing_is_persisted(string field)
    {
        JobSpec good = Specs.Small(seed: 5);
        JobSpec bad = field switch
        {
            "frames" => good with { Frames = 0 },
            "height" => good with { Height = 30 },
            "window_overlap" => good with { WindowOverlap = 8 },
            "plan" => good with { Plan = "2-x:1" },
            "guidance" => good with { Guidance = double.NaN },
            "model" => good with { Model = "wan-99b" },
            _ => good with { Output = "/proc/loom/cannot-write.safetensors" },
        };
        string id = $"bad-{field}";

        var refused = await Assert.ThrowsAsync<InvalidJobSpecException>(() => Cluster.SubmitAsync(id, bad));

        Assert.Equal(field, refused.Field);
        await Assert.ThrowsAsync<JobNotFoundException>(() => Cluster.StatusAsync(id));
    }

    /// <summary>Window evaluations every shard has finished, read live from the shards.</summary>
    private async Task<long> ShardWorkAsync()
    {
        ShardInfo[] shards = await Cluster.Client.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync();
        ShardInfo[] live = await Task.WhenAll(shards.Select(s => Cluster.Client.GetGrain<IShardGrain>(s.ShardId).GetInfoAsync()));
        return live.Sum(s => s.Completed);
    }
}
