using Loom.Contracts.Jobs;
using Xunit.Abstractions;

namespace Loom.Cluster.Tests;

/// <summary>
/// Silos stopped the way Kubernetes stops a pod (SIGTERM, not SIGKILL) mid-job drain: they checkpoint and hand over
/// their work, exit 0 within their drain timeout, and the job completes elsewhere with the same bits.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Leaving the cluster after the drain: Orleans' goodbye and the host's own stop.</summary>
    private static readonly TimeSpan LeaveTime = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Terminating_the_job_host_then_a_silo_evaluating_its_windows_drains_both_and_the_job_completes_with_the_same_video()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(
            silos: 3, settings: new Dictionary<string, string> { ["DrainTimeout"] = DrainTimeout.ToString() });
        // Long enough (420 rounds of 6 windows) that two drains of ~2.5 s each fit inside it on a fast machine too, and a
        // status call held a few seconds while the cluster changes around the leaving silo does not find the job done
        // (with 80 rounds, once its windows stayed on their own silo's shards, a CI run saw it finish in that gap; with
        // 170, once they stayed resident on their shards, another).
        JobSpec spec = Specs.SixWindows(41, steps: 400) with { Plan = "1-20:1" };
        await cluster.SubmitAsync("drain", spec);
        JobStatus running = await cluster.WaitAsync("drain", s => s.StepsDone >= 2);
        Assert.False(running.IsFinal, "the job must still be running when its host is told to stop");

        // 1. The silo that hosts the job grain: its loop stops at a step boundary with a checkpoint.
        SiloProcess host = cluster.SiloOf(running.Host);
        await TerminateAndCheckAsync(host);
        Assert.Contains("job drain stopped after step", host.Log, StringComparison.Ordinal);

        // 2. The other silo whose shards evaluate the job's windows, once the job runs on the last one.
        JobStatus moved = await cluster.WaitAsync("drain", s => s.IsFinal || (s.Host != running.Host && s.StepsDone > running.StepsDone));
        Assert.False(moved.IsFinal, $"the job finished before the second silo could be stopped ({moved.Phase})");
        SiloProcess evaluator = cluster.Silos.Single(s => s.IsRunning && s != cluster.SiloOf(moved.Host));
        JobStatus evaluating = await cluster.WaitAsync("drain", s => s.IsFinal || s.Shards.Any(shard => shard.Contains($":{evaluator.SiloPort}@", StringComparison.Ordinal)));
        Assert.False(evaluating.IsFinal, "the job finished before the second silo's shards were seen evaluating it");
        await TerminateAndCheckAsync(evaluator);

        JobStatus done = await cluster.WaitFinalAsync("drain");
        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.Equal(moved.Host, done.Host);
        Assert.Equal(spec.Steps, done.StepsDone);
        Assert.True(done.Resumes >= 1, "the loop must have resumed from the drain's checkpoint");
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }

    private async Task TerminateAndCheckAsync(SiloProcess silo)
    {
        var (exitCode, elapsed) = await silo.TerminateAsync(DrainTimeout + LeaveTime);
        output.WriteLine($"silo :{silo.SiloPort} exited {exitCode} {elapsed.TotalSeconds:F1} s after SIGTERM; its drain:");
        foreach (string line in silo.Log.Split('\n').SkipWhile(l => !l.Contains("draining:", StringComparison.Ordinal)).Where(l => l.StartsWith("      ", StringComparison.Ordinal)))
        {
            output.WriteLine(line.Trim());
        }
        Assert.True(exitCode == 0, $"the silo exited with {exitCode?.ToString() ?? "nothing (still running)"} after {elapsed.TotalSeconds:F1} s. Log:\n{Tail(silo.Log)}");
        // The drain finished its work (no loop or evaluation left when it ended), NOT_SERVING was reported meanwhile.
        Assert.Contains("drained: job loops checkpointed and stopped", silo.Log, StringComparison.Ordinal);
    }

    private static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;
}
