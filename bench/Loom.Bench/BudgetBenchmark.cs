using System.Diagnostics;
using System.Globalization;
using Loom.Models.Physics;
using Loom.Models.WorldModel;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// Where the refinement budget goes and what it buys. For each P&amp;P plan, plain (tau 0) and uncertainty-aware, the
/// forward passes per video split into base, refinement, and those saved by early exit and by window skipping, beside
/// the physics scores of <see cref="PhysicsBenchmark"/>'s held-out scenes; then the cheapest plan that keeps the gain.
/// Every scene is sampled on its own (batch 1), so the counts are a render job's: in a batch, an iteration or a window
/// is only saved when every video in it qualifies.
/// </summary>
public static class BudgetBenchmark
{
    /// <summary>
    /// Runs the benchmark: <c>--weights --scenes --steps --plans --long-plans --tau --guidance --shift --long-frames --window --overlap</c>.
    /// Plans are separated by ';' (a plan's own ranges by ','); Euler is always run as the reference.
    /// </summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int scenes = args.Int("scenes", 32), steps = args.Int("steps", 12);
        RefinementPlan[] plans = Plans(args, "plans", "1:1;1-2:1;1-4:1;1-2:2;1-4:2;1-6:2;1-4:3", steps);
        RefinementPlan[] longPlans = Plans(args, "long-plans", "1-4:1;1-4:2;1-4:3", steps);
        double tau = args.Double("tau", 0.2), guidance = args.Double("guidance", 1.0), shift = args.Double("shift", 1.0);
        int longFrames = args.Int("long-frames", 64), window = args.Int("window", 16), overlap = args.Int("overlap", 4);
        if (tau <= 0)
        {
            throw new ArgumentException($"--tau must be above 0 (plain P&P, tau 0, is always run), got {tau}.");
        }
        if (overlap >= window)
        {
            throw new ArgumentException($"--overlap must be less than --window ({window}), got {overlap}.");
        }
        string weights = args.Text("weights", Path.Combine("models", "physics-world-model.safetensors"));
        if (!File.Exists(weights))
        {
            throw new ArgumentException($"--weights: {weights} does not exist (train with tools/Loom.Train, see README).");
        }

        using PhysicsWorldModel model = WorldModelWeights.Load(weights);
        int frames = model.Config.MaxFrames;
        if (window > frames)
        {
            throw new ArgumentException($"--window must be at most the model's {frames} frames, got {window}.");
        }
        const int Given = WorldModelConfig.GivenFrames;
        var simulator = new PhysicsSimulator(model.Config.Height, model.Config.Width);
        var schedule = FlowSchedule.Create(steps, shift);

        // One video through co-denoised windows (a single window when it fits the model), its step reports and seconds.
        async Task<(float[] Video, IReadOnlyList<StepReport> Steps, double Seconds)> Sample(PhysicsClip clip, WindowPlan windows, RefinementOptions options)
        {
            using Tensor truth = tensor(clip.Pixels).reshape(1, 3, clip.Frames, simulator.Height, simulator.Width);
            var conditioning = new FrameConditioning(truth, Enumerable.Range(0, clip.Frames).Select(f => f < Given).ToArray());
            var fields = new List<WorldModelField>();
            var sampler = new WindowedSampler(windows, WindowJoin.CoDenoise, (w, c) =>
            {
                var field = new WorldModelField(model, c, guidance);
                fields.Add(field);
                return field;
            }, schedule, options);
            try
            {
                var clock = Stopwatch.StartNew();
                using WindowedResult result = await sampler.SampleAsync([clip.Seed], [3, clip.Frames, simulator.Height, simulator.Width], conditioning);
                clock.Stop();
                using Tensor video = result.Latent.clamp(-1, 1);
                return (video.data<float>().ToArray(), result.Steps, clock.Elapsed.TotalSeconds);
            }
            finally
            {
                fields.ForEach(f => f.Dispose());
            }
        }

        var settings = new Dictionary<string, object>
        {
            ["weights"] = Path.GetFileName(weights), ["scenes"] = scenes, ["frames"] = frames, ["given"] = Given, ["steps"] = steps,
            ["shift"] = shift, ["guidance"] = guidance, ["tau"] = tau, ["batch"] = 1,
            ["long"] = $"{longFrames} frames, window {window}, overlap {overlap}, co-denoise",
        };
        var table = new BenchTable("budget", settings,
            ["video", "plan", "tau", "NFE", "base", "refine", "saved: exit", "saved: windows", "planned",
             "centroid err px", "track loss", "parabola res px", "bg PSNR dB", "wall s"]);
        var shortRows = new List<BudgetRow>();

        async Task Section(int length, RefinementPlan[] refining, List<BudgetRow>? rows)
        {
            PhysicsClip[] clips = Enumerable.Range(0, scenes).Select(i => simulator.Generate(PhysicsDataset.TestSeed(i), length)).ToArray();
            var windows = length <= frames ? new WindowPlan(length, length, 0) : new WindowPlan(length, window, overlap);
            string video = $"{length} frames, {windows.Windows.Count} window" + (windows.Windows.Count == 1 ? "" : "s");
            var runs = new List<(RefinementPlan Plan, double Tau)> { (RefinementPlan.None, double.NaN) };
            runs.AddRange(refining.SelectMany(p => new[] { (p, 0.0), (p, tau) }));
            foreach (var (plan, rowTau) in runs)
            {
                var options = plan.IsEmpty ? RefinementOptions.None : new RefinementOptions(plan, rowTau);
                var spend = new NfeSpend();
                var scores = new List<PhysicsScore>();
                double seconds = 0;
                foreach (PhysicsClip clip in clips)
                {
                    var (generated, reports, clipSeconds) = await Sample(clip, windows, options);
                    spend.Add(reports);
                    scores.Add(PhysicsMetrics.Score(generated, clip, Given));
                    seconds += clipSeconds;
                }
                double Mean(Func<PhysicsScore, double> pick) => scores.Select(pick).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
                var row = new BudgetRow(plan, rowTau, spend.Evaluations / scenes, Mean(s => s.TrackLoss), Mean(s => s.BackgroundPsnr), Mean(s => s.CentroidError));
                rows?.Add(row);
                table.Add(video, plan.IsEmpty ? "Euler" : plan.ToString(), rowTau, row.Nfe, spend.Base / scenes, spend.Refine / scenes,
                    spend.SavedByExit / scenes, spend.SavedByWindows / scenes, plan.Nfe(steps, guidance > 1.0) * windows.Windows.Count,
                    row.CentroidError, row.TrackLoss, Mean(s => s.ParabolaResidual), row.BackgroundPsnr, seconds);
            }
        }

        // Warm TorchSharp's kernels up so the first timed row is not charged for them.
        await Sample(simulator.Generate(PhysicsDataset.ValidationSeed(0), frames), new WindowPlan(frames, frames, 0), RefinementOptions.None);
        await Section(frames, plans, shortRows);
        await Section(longFrames, longPlans, null);

        table.Notes.Add("Counts are model forward passes per video, means over the scenes, each scene sampled alone (batch 1); windowed rows");
        table.Notes.Add("count each window. NFE = base + refine, the passes run: base is one prediction per step, refine the extra predictions");
        table.Notes.Add("run. saved: exit = iterations the early exit skipped (certain share above 0.999) times a prediction's passes;");
        table.Notes.Add("saved: windows = windows not evaluated because all their cells were certain (only with several windows).");
        table.Notes.Add("NFE + saved = planned = (N + sum K) x windows. Plain P&P (tau 0) never saves. Physics columns as in `physics`;");
        table.Notes.Add("wall s is the total over the scenes.");
        table.Notes.AddRange(Cheapest(shortRows));
        return table;
    }

    /// <summary>
    /// The cheapest plan that keeps the physics gain, over the short-video rows: the best plan is the one with the
    /// largest track-loss reduction against Euler; the cheapest is the lowest-NFE row whose reduction is at least 90% of
    /// the best's and whose background PSNR is within 0.3 dB of the best's (ties: lower track loss).
    /// </summary>
    private static string[] Cheapest(List<BudgetRow> rows)
    {
        string[] rule =
        [
            "Cheapest plan that keeps the physics gain (short videos): the lowest-NFE row whose track-loss reduction vs Euler is",
            "at least 90% of the best row's (the largest reduction) and whose bg PSNR is within 0.3 dB of the best row's.",
        ];
        BudgetRow euler = rows[0];
        BudgetRow best = rows.Skip(1).MaxBy(r => euler.TrackLoss - r.TrackLoss)!;
        double bestGain = euler.TrackLoss - best.TrackLoss;
        if (!(bestGain > 0))
        {
            return [.. rule, string.Create(CultureInfo.InvariantCulture, $"None: no plan lowers track loss below Euler's {euler.TrackLoss:F3}.")];
        }
        BudgetRow cheapest = rows.Skip(1)
            .Where(r => euler.TrackLoss - r.TrackLoss >= 0.9 * bestGain && r.BackgroundPsnr >= best.BackgroundPsnr - 0.3)
            .OrderBy(r => r.Nfe).ThenBy(r => r.TrackLoss).First();
        return
        [
            .. rule,
            string.Create(CultureInfo.InvariantCulture,
                $"Cheapest: {cheapest.Name}, NFE {cheapest.Nfe:F2} (best: {best.Name}, NFE {best.Nfe:F2}; Euler {euler.Nfe:F0}). Track loss "
                + $"{euler.TrackLoss:F3} -> {cheapest.TrackLoss:F3} ({100 * (euler.TrackLoss - cheapest.TrackLoss) / bestGain:F0}% of the best reduction),"),
            string.Create(CultureInfo.InvariantCulture,
                $"bg PSNR {euler.BackgroundPsnr:F2} -> {cheapest.BackgroundPsnr:F2} dB (best {best.BackgroundPsnr:F2}), centroid error "
                + $"{euler.CentroidError:F2} -> {cheapest.CentroidError:F2} px (best {best.CentroidError:F2})."),
        ];
    }

    /// <summary>The refining plans of option <paramref name="name"/>, ';'-separated, each checked against the run's steps.</summary>
    private static RefinementPlan[] Plans(BenchArguments args, string name, string fallback, int steps)
    {
        try
        {
            RefinementPlan[] plans = args.Text(name, fallback).Split(';').Select(RefinementPlan.Parse).ToArray();
            foreach (RefinementPlan plan in plans)
            {
                if (plan.IsEmpty)
                {
                    throw new ArgumentException($"--{name}: lists refining plans; Euler ('none') is always run as the reference.");
                }
                plan.ValidateFor(steps);
            }
            return plans;
        }
        catch (RefinementPlanException error)
        {
            throw new ArgumentException($"--{name}: {error.Detail}");
        }
    }

    /// <summary>A short-video row, for choosing the cheapest plan.</summary>
    private sealed record BudgetRow(RefinementPlan Plan, double Tau, double Nfe, double TrackLoss, double BackgroundPsnr, double CentroidError)
    {
        /// <summary>Plan and tau, as the note names them.</summary>
        public string Name => Plan.IsEmpty ? "Euler" : string.Create(CultureInfo.InvariantCulture, $"{Plan} tau {Tau}");
    }

    /// <summary>Forward passes over several runs, from their step reports.</summary>
    private sealed class NfeSpend
    {
        /// <summary>Prediction 0 of every step.</summary>
        public double Base { get; private set; }

        /// <summary>Refinement predictions run.</summary>
        public double Refine { get; private set; }

        /// <summary>Refinement iterations skipped by the early exit, in passes.</summary>
        public double SavedByExit { get; private set; }

        /// <summary>Window evaluations skipped because all their cells were certain.</summary>
        public double SavedByWindows { get; private set; }

        /// <summary>Passes run.</summary>
        public double Evaluations => Base + Refine;

        /// <summary>
        /// Adds a run. Every prediction either evaluates or skips each window, so one prediction costs
        /// <c>(evaluations + skipped) / predictions</c> passes; prediction 0 of a step is its base.
        /// </summary>
        public void Add(IEnumerable<StepReport> reports)
        {
            foreach (StepReport step in reports)
            {
                int perPrediction = (step.Evaluations + step.SkippedEvaluations) / step.Predictions;
                Base += perPrediction;
                Refine += step.Evaluations - perPrediction;
                SavedByExit += step.IterationsSkipped * perPrediction;
                SavedByWindows += step.SkippedEvaluations;
            }
        }
    }
}
