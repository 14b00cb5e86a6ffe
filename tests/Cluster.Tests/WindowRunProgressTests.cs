using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Cluster.Tests;

/// <summary>
/// Independent and chained joins report progress like co-denoising does: steps while they run, refinement evaluations
/// and per-step certain fractions at the end (they used to sit at step 0 until the end and report "refine 0").
/// </summary>
public sealed class WindowRunProgressTests
{
    [Fact]
    public async Task Chained_and_independent_runs_report_steps_while_they_run_and_their_refinement_and_certain_fractions()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1,
            settings: new Dictionary<string, string> { ["SimulatedForward"] = "00:00:00.040" });
        await cluster.WaitForShardsAsync(1);
        await Task.WhenAll(RunAsync(cluster, WindowJoin.Chained), RunAsync(cluster, WindowJoin.Independent));
    }

    private static async Task RunAsync(LoomTestCluster cluster, WindowJoin join)
    {
        // 3 windows of 6 frames over 14; steps 1-2 refine once; tau so high that every cell is certain once it refines.
        var spec = new JobSpec(Frames: 14, Steps: 4, Plan: "1-2:1", Tau: 1000, WindowLength: 6, WindowOverlap: 2, Join: join, Seed: 3);
        int windows = JobSpecValidator.Windows(spec).Windows.Count;
        Assert.Equal(3, windows);

        string id = $"windowed-{join}".ToLowerInvariant();
        await cluster.SubmitAsync(id, spec);
        var seen = new List<JobStatus>();
        JobStatus now;
        do
        {
            now = await cluster.StatusAsync(id);
            seen.Add(now);
            await Task.Delay(40);
        }
        while (!now.IsFinal);

        Assert.True(now.Phase == JobPhase.Completed, $"{now.Phase}: {now.Error}");
        // While it ran, the steps moved: not 0 until the very end.
        Assert.Contains(seen, s => s.Phase == JobPhase.Running && s.StepsDone > 0 && s.StepsDone < spec.Steps);
        Assert.Contains(seen, s => s.Phase == JobPhase.Running && s.RefineEvaluations > 0);
        Assert.Equal(spec.Steps, now.StepsDone);
        Assert.Equal(windows * (spec.Steps + 2), now.Evaluations);
        Assert.Equal(windows * 2, now.RefineEvaluations); // every window refined at steps 1 and 2
        Assert.Equal([0.0, 1.0, 1.0, 0.0], now.CertainFractions);
        Assert.Equal(now.Evaluations, (now.Windows ?? []).Sum(w => w.Evaluations));
    }
}
