using Loom.Contracts.Jobs;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>
/// A hung shard (its silo SIGSTOPped, so it neither answers nor is declared dead soon: fast failure detection off) is
/// abandoned after a timeout derived from its measured latency (here 3 x p99, at least 1 s, so that a warm-up outlier in
/// the few calls measured keeps it short), its silo is then passed over, and the job goes on elsewhere with the same bits.
/// Before the silo was passed over the job crawled (step 5 to 6 in 12 s): each timeout ended the attempt, but the
/// stopped shard, idle by the router's ledger and still closed to its circuit breaker (30 s of successes outweighed a few
/// timeouts), stayed the cheapest pick, so every phase of every step put windows there and waited out their timeouts.
/// </summary>
public sealed class HungShardTests(ITestOutputHelper output)
{
    [Fact]
    public Task A_job_keeps_stepping_while_a_silo_whose_shards_it_uses_is_stopped() => KeepsSteppingAsync(resident: false, seed: 61);

    /// <summary>
    /// Resident windows: a round on the stopped silo outlives the timeout derived from the rounds measured, the step
    /// fails, the silo is passed over, and the job resumes from its checkpoint with its windows on the silos that answer,
    /// within the 12 s. It is not asked to step on meanwhile: its new windows call shard grains their silos had not
    /// called before, and in one run of three such a call waited for the stopped silo until it went on (the grain
    /// directory's partition there, most likely; membership alone would have taken longer than the test).
    /// </summary>
    [Fact]
    public Task A_job_on_resident_windows_resumes_away_from_a_stopped_silo_holding_some() => KeepsSteppingAsync(resident: true, seed: 62);

    private async Task KeepsSteppingAsync(bool resident, int seed)
    {
        var settings = new Dictionary<string, string>
        {
            ["FastFailureDetection"] = "false", ["EvaluationTimeoutFloor"] = "00:00:01", ["EvaluationTimeoutMultiple"] = "3", ["ResidentWindows"] = resident ? "true" : "false",
        };
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3, settings: settings);
        JobSpec spec = Specs.SixWindows(seed: seed, steps: 30) with { Plan = "1-10:1" };
        await cluster.SubmitAsync("hung-shard", spec);
        JobStatus running = await cluster.WaitAsync("hung-shard", s => s.StepsDone >= 5);
        string victim = running.Shards.Select(s => s[..s.LastIndexOf('/')]).First(silo => silo != running.Host);
        SiloProcess stopped = cluster.SiloOf(victim);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await stopped.SignalAsync("STOP");
        try
        {
            // Membership takes far longer than this to give up on a stopped silo; a derived timeout does not.
            await Task.Delay(TimeSpan.FromSeconds(12));
            JobStatus during = await cluster.StatusAsync("hung-shard");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s after SIGSTOP: step {running.StepsDone} -> {during.StepsDone}");
            Assert.True(during.IsFinal || (resident ? during.Resumes >= 1 : during.StepsDone >= running.StepsDone + 2),
                $"the job went from step {running.StepsDone} to {during.StepsDone} ({during.Resumes} resumes) in 12 s with a hung shard. Log of the job's silo (stack frames left out):\n{string.Join('\n', cluster.SiloOf(running.Host).Log.Split('\n').Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)).TakeLast(150))}");
        }
        finally
        {
            await stopped.SignalAsync("CONT");
        }
        JobStatus done = await cluster.WaitFinalAsync("hung-shard");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s after SIGSTOP: {done.Phase}, {done.StepsDone} steps, {done.Retries} retries");
        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        if (resident)
        {
            Assert.True(done.Resumes >= 1, "the windows on the stopped silo could not answer: the job must have resumed from its checkpoint");
        }
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }
}
