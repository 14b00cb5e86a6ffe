using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Grains.Tests;

/// <summary>Admission by priority, then submission order, one job at a time (MaxRunningJobs 1).</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class QueueOrderTests(GrainCluster grains)
{
    [Fact]
    public async Task Waiting_jobs_start_by_priority_then_in_submission_order_and_all_complete()
    {
        await grains.ReportShardsAsync();
        IJobQueueGrain queue = grains.Client.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);
        int[] priorities = [0, 2, -5, 2, 0, 1000, -1000];
        string[] ids = priorities.Select((_, i) => $"queue-{Guid.NewGuid():N}-{i}").ToArray();
        await queue.SetPausedAsync(true);
        try
        {
            for (int i = 0; i < ids.Length; i++)
            {
                // One at a time, so submission order is the ids' order.
                await grains.Client.GetGrain<IRenderJobGrain>(ids[i]).SubmitAsync(Specs.Tiny(seed: i, priority: priorities[i]), null);
            }
            Assert.Equal(ids.Length, (await queue.GetInfoAsync()).Waiting);
        }
        finally
        {
            await queue.SetPausedAsync(false);
        }

        JobStatus[] done = await Task.WhenAll(ids.Select(grains.WaitFinalAsync));

        Assert.All(done, s => Assert.True(s.Phase == JobPhase.Completed, $"{s.JobId}: {s.Phase} {s.Error}"));
        string[] started = done.OrderBy(s => s.AdmissionOrder).Select(s => s.JobId).ToArray();
        string[] expected = Enumerable.Range(0, ids.Length).OrderByDescending(i => priorities[i]).ThenBy(i => i).Select(i => ids[i]).ToArray();
        Assert.Equal(expected, started);
    }

    [Fact]
    public async Task A_priority_outside_the_documented_range_is_refused_by_field()
    {
        var error = await Assert.ThrowsAsync<InvalidJobSpecException>(() =>
            grains.Client.GetGrain<IRenderJobGrain>($"prio-{Guid.NewGuid():N}").SubmitAsync(Specs.Tiny(seed: 1, priority: int.MinValue), null));
        Assert.Equal("priority", error.Field);
    }
}
