using System.Diagnostics;
using Loom.Models.Analytic;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;

namespace Loom.Bench;

/// <summary>
/// Seams of long videos: an exact AR(1) video model sampled far beyond one window, unwindowed (the reference), by
/// co-denoising with each weight shape, by independent windows and by chained windows.
/// </summary>
public static class WindowsBenchmark
{
    /// <summary>Runs the benchmark: <c>--videos --frames --window --overlap --rho --steps --plan --tau --given --seed</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int videos = args.Int("videos", 64);
        int frames = args.Int("frames", 40);
        int length = args.Int("window", 8);
        int overlap = args.Int("overlap", 3);
        double rho = args.Double("rho", 0.9);
        int steps = args.Int("steps", 16);
        string planText = args.Text("plan", "1-6:2");
        double tau = args.Double("tau", 0.1);
        int seed = args.Int("seed", 1);
        int given = args.Text("given", "0") == "0" ? 0 : args.Int("given", 0);

        var process = new Ar1Video(rho);
        var plan = new WindowPlan(frames, length, overlap);
        var schedule = FlowSchedule.Create(steps, 1.0);
        var refinement = new RefinementOptions(RefinementPlan.Parse(planText), tau);
        long[] shape = [4, frames, 4, 4];
        long[] seeds = Enumerable.Range(0, videos).Select(i => 1000L * seed + i).ToArray();
        var settings = new Dictionary<string, object>
        {
            ["videos"] = videos, ["shape"] = string.Join("x", shape), ["windows"] = plan.ToString(), ["rho"] = rho,
            ["steps"] = steps, ["plan"] = planText, ["tau"] = tau, ["given"] = given,
        };
        if (given >= frames)
        {
            throw new ArgumentException($"--given must be less than --frames ({frames}).");
        }

        // Video-to-world: the first `given` frames come from an exact sample of the process.
        using var truth = process.Sample(videos, shape, seed);
        FrameConditioning? conditioning = given == 0 ? null : new FrameConditioning(truth, Enumerable.Range(0, frames).Select(f => f < given).ToArray());
        var table = new BenchTable("windows", settings,
            ["join", "blend", "evaluations", "saved by skipping", "mean |corr-rho| at joins", "worst |corr-rho| at joins", "seam excess", "wall ms"]);

        // Warm up TorchSharp's kernels so the first timed row is not charged for them.
        using (SampleResult warm = await new SelfRefiningSampler(process.Whole(frames), FlowSchedule.Create(2)).SampleAsync(seeds[..2], shape))
        {
        }

        var clock = Stopwatch.StartNew();
        using var wholeField = conditioning is null ? null : new ConditionedFrames(process.Whole(frames, conditioning), truth, conditioning.Given);
        using (SampleResult whole = await new SelfRefiningSampler(wholeField ?? process.Whole(frames), schedule, refinement).SampleAsync(seeds, shape))
        {
            clock.Stop();
            double[] errors = SeamMetrics.JoinCorrelationErrors(whole.Latent, plan, rho);
            table.Add("unwindowed (reference)", "-", whole.Evaluations, whole.SkippedEvaluations, errors.Average(), errors.Max(),
                SeamMetrics.SeamExcess(whole.Latent, plan), clock.Elapsed.TotalMilliseconds);
        }

        async Task Row(WindowJoin join, WindowBlend blend)
        {
            var sampler = new WindowedSampler(plan, join, (w, c) => process.Window(w, c), schedule, refinement, blend);
            var timer = Stopwatch.StartNew();
            using WindowedResult result = await sampler.SampleAsync(seeds, shape, conditioning);
            timer.Stop();
            double[] errors = SeamMetrics.JoinCorrelationErrors(result.Latent, plan, rho);
            table.Add(join.ToString(), join == WindowJoin.Chained ? "-" : blend.ToString(), result.Evaluations, result.SkippedEvaluations,
                errors.Average(), errors.Max(), SeamMetrics.SeamExcess(result.Latent, plan), timer.Elapsed.TotalMilliseconds);
        }

        foreach (WindowBlend blend in Enum.GetValues<WindowBlend>())
        {
            await Row(WindowJoin.CoDenoise, blend);
        }
        await Row(WindowJoin.Independent, WindowBlend.Linear);
        await Row(WindowJoin.Independent, WindowBlend.Uniform);
        await Row(WindowJoin.Chained, WindowBlend.Linear);

        table.Notes.Add("evaluations: model calls on one window each (the unwindowed row: calls on the whole video). saved by skipping: window");
        table.Notes.Add("calls not made because every cell of the window was already certain. |corr-rho|: per join, the worst error of the");
        table.Notes.Add("lag-1 correlation over the transitions crossing it (the true value is rho everywhere). seam excess: mean frame");
        table.Notes.Add("change across joins over the change elsewhere, minus 1 (0 = invisible joins; < 0 = too still there).");
        return table;
    }
}
