using Loom.Grains.Jobs;

namespace Loom.Cluster.Tests;

/// <summary>
/// A hung shard (its silo SIGSTOPped, so it neither answers nor is declared dead soon: fast failure detection off) is
/// abandoned after a timeout derived from its measured latency (here 3 x p99, at least 1 s, so that a warm-up outlier in
/// the few calls measured keeps it short), and the job goes on elsewhere with the same bits.
/// </summary>
public sealed class HungShardTests
{
    [Fact(Skip = "Open (issue 19, item 11): with the derived timeout and a bounded directory read the job still makes no step in 12 s after SIGSTOP of a shard silo, and the router logs no timed-out attempt, so the stall is before or outside the per-attempt timeout; it failed the same way before the change (step 3 to 3).")]
    public async Task A_job_keeps_stepping_while_a_silo_whose_shards_it_uses_is_stopped()
    {
        var settings = new Dictionary<string, string> { ["FastFailureDetection"] = "false", ["EvaluationTimeoutFloor"] = "00:00:01", ["EvaluationTimeoutMultiple"] = "3" };
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3, settings: settings);
        JobSpec spec = Specs.SixWindows(seed: 61, steps: 30) with { Plan = "1-10:1" };
        await cluster.SubmitAsync("hung-shard", spec);
        JobStatus running = await cluster.WaitAsync("hung-shard", s => s.StepsDone >= 5);
        string victim = running.Shards.Select(s => s[..s.LastIndexOf('/')]).First(silo => silo != running.Host);
        SiloProcess stopped = cluster.SiloOf(victim);

        await stopped.SignalAsync("STOP");
        try
        {
            // Membership takes far longer than this to give up on a stopped silo; a derived timeout does not.
            await Task.Delay(TimeSpan.FromSeconds(12));
            JobStatus during = await cluster.StatusAsync("hung-shard");
            Assert.True(during.IsFinal || during.StepsDone >= running.StepsDone + 2,
                $"the job went from step {running.StepsDone} to {during.StepsDone} in 12 s with a hung shard. Log of the job's silo:\n{string.Join('\n', cluster.SiloOf(running.Host).Log.Split('\n').TakeLast(60))}");
        }
        finally
        {
            await stopped.SignalAsync("CONT");
        }
        JobStatus done = await cluster.WaitFinalAsync("hung-shard");
        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }
}
