using System.Diagnostics;
using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Models.Physics;
using Loom.Models.WorldModel;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// Does self-refinement make the world model's motion more physical? Held-out simulated scenes (seeds training never
/// used), the first 2 frames given, the rest generated and tracked against the simulator's truth.
/// </summary>
public static class PhysicsBenchmark
{
    private const int Given = WorldModelConfig.GivenFrames;

    /// <summary>Runs the benchmark: <c>--weights --scenes --validation --steps --plan --guidance --taus --long-frames --window --overlap --strip --wire</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        string weights = args.Text("weights", Path.Combine("models", "physics-world-model.safetensors"));
        int scenes = args.Int("scenes", 64), validation = args.Int("validation", 16), steps = args.Int("steps", 12);
        var plan = RefinementPlan.Parse(args.Text("plan", "1-4:2"));
        double guidance = args.Double("guidance", 1.0), shift = args.Double("shift", 1.0);
        double[] taus = args.Text("taus", "0.05,0.1,0.2").Split(',').Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        int longFrames = args.Int("long-frames", 64), window = args.Int("window", 16), overlap = args.Int("overlap", 4);
        if (!File.Exists(weights))
        {
            throw new ArgumentException($"--weights: {weights} does not exist (train with tools/Loom.Train, see README).");
        }

        using PhysicsWorldModel model = WorldModelWeights.Load(weights);
        int frames = model.Config.MaxFrames;
        var simulator = new PhysicsSimulator(model.Config.Height, model.Config.Width);
        PhysicsClip[] test = Enumerable.Range(0, scenes).Select(i => simulator.Generate(PhysicsDataset.TestSeed(i), frames)).ToArray();
        PhysicsClip[] valid = Enumerable.Range(0, validation).Select(i => simulator.Generate(PhysicsDataset.ValidationSeed(i), frames)).ToArray();

        // --wire fp16|fp32: every window evaluation rounded as a shard's messages would round it (default: no rounding).
        string wireName = args.Text("wire", "none");
        WirePrecision? wire = wireName switch
        {
            "none" => null,
            "fp16" => WirePrecision.Float16,
            "fp32" => WirePrecision.Float32,
            _ => throw new ArgumentException($"--wire must be none, fp16 or fp32, got '{wireName}'."),
        };
        IVelocityField Field(TemporalWindow w, FrameConditioning? c)
            => wire is { } precision ? new WireRoundedField(new WorldModelField(model, c, guidance), precision) : new WorldModelField(model, c, guidance);

        async Task<(float[][] Videos, int Evaluations, double Seconds)> Generate(PhysicsClip[] clips, int n, RefinementOptions options, WindowJoin join, bool conditioned = true)
        {
            int length = clips[0].Frames;
            var windows = new WindowPlan(length, Math.Min(window, frames), length <= frames ? 0 : overlap);
            using Tensor truth = tensor(clips.SelectMany(c => c.Pixels).ToArray()).reshape(clips.Length, 3, length, simulator.Height, simulator.Width);
            var conditioning = conditioned ? new FrameConditioning(truth, Enumerable.Range(0, length).Select(f => f < Given).ToArray()) : null;
            var sampler = new WindowedSampler(windows, join, Field, FlowSchedule.Create(n, shift), options);
            var clock = Stopwatch.StartNew();
            using WindowedResult result = await sampler.SampleAsync(clips.Select(c => c.Seed).ToArray(), [3, length, simulator.Height, simulator.Width], conditioning);
            clock.Stop();
            float[] all = result.Latent.clamp(-1, 1).data<float>().ToArray();
            int size = 3 * length * simulator.Height * simulator.Width;
            return (Enumerable.Range(0, clips.Length).Select(i => all[(i * size)..((i + 1) * size)]).ToArray(), result.Evaluations, clock.Elapsed.TotalSeconds);
        }

        // tau for uncertainty-aware P&P: the one with the lowest centroid error on the validation scenes.
        var tauScores = new List<(double Tau, double Error)>();
        foreach (double tau in taus)
        {
            var (videos, _, _) = await Generate(valid, steps, new RefinementOptions(plan, tau), WindowJoin.CoDenoise);
            tauScores.Add((tau, videos.Select((v, i) => PhysicsMetrics.Score(v, valid[i], Given).CentroidError).Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Average()));
        }
        double chosenTau = tauScores.MinBy(t => t.Error).Tau;

        var settings = new Dictionary<string, object>
        {
            ["weights"] = Path.GetFileName(weights), ["scenes"] = scenes, ["frames"] = frames, ["given"] = Given, ["steps"] = steps,
            ["shift"] = shift, ["plan"] = plan.ToString(), ["guidance"] = guidance, ["wire"] = wireName,
            ["tau"] = $"{chosenTau} (validation {string.Join(" ", tauScores.Select(t => $"{t.Tau}:{t.Error:F2}px"))})",
            ["long"] = $"{longFrames} frames, window {window}, overlap {overlap}",
        };
        string[] kinds = Enum.GetNames<SceneKind>();
        var table = new BenchTable("physics", settings,
            ["method", "NFE", "centroid err px", "95% CI", "track loss", "parabola res px", "bg PSNR dB", "wall s", .. kinds.Select(k => k + " px")]);

        void Add(string method, int nfe, PhysicsClip[] clips, PhysicsScore[] scores, double seconds)
        {
            double[] errors = scores.Select(s => s.CentroidError).Where(double.IsFinite).ToArray();
            double mean = errors.Length == 0 ? double.NaN : errors.Average();
            double halfWidth = errors.Length < 2 ? double.NaN : 1.96 * Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (errors.Length - 1) / errors.Length);
            double Mean(Func<PhysicsScore, double> pick) => scores.Select(pick).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            object[] perKind = Enum.GetValues<SceneKind>().Select(k => (object)scores.Where((s, i) => clips[i].Kind == k).Select(s => s.CentroidError)
                .Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()).ToArray();
            table.Add([method, nfe, mean, $"±{halfWidth:F2}", Mean(s => s.TrackLoss), Mean(s => s.ParabolaResidual), Mean(s => s.BackgroundPsnr), seconds, .. perKind]);
        }

        Add("copy last frame (baseline)", 0, test, test.Select(c => PhysicsBaselines.CopyLastFrame(c, Given)).ToArray(), 0);
        Add("constant velocity (baseline)", 0, test, test.Select(c => PhysicsBaselines.ConstantVelocity(c, Given)).ToArray(), 0);

        string? strip = args.Text("strip", "") is { Length: > 0 } stripPath ? stripPath : null;
        async Task Row(string method, PhysicsClip[] clips, int n, RefinementOptions options, WindowJoin join = WindowJoin.CoDenoise)
        {
            var (videos, evaluations, seconds) = await Generate(clips, n, options, join);
            if (strip is not null && method.StartsWith("uncertainty-aware", StringComparison.Ordinal))
            {
                // Truth above, generation below, for the first 4 scenes: the first 2 frames of each pair are the given ones.
                var rows = Enumerable.Range(0, Math.Min(4, clips.Length)).SelectMany(i => new[] { clips[i].Pixels, videos[i] }).ToArray();
                PngWriter.WriteStrip(strip, rows, clips[0].Frames, simulator.Height, simulator.Width, scale: 3);
            }
            Add(method, evaluations, clips, videos.Select((v, i) => PhysicsMetrics.Score(v, clips[i], Given)).ToArray(), seconds);
        }

        int equalSteps = plan.Nfe(steps, guided: false);
        await Row($"Euler {steps}", test, steps, RefinementOptions.None);
        await Row($"Euler {equalSteps} (P&P's NFE)", test, equalSteps, RefinementOptions.None);
        await Row("P&P", test, steps, new RefinementOptions(plan));
        await Row($"uncertainty-aware P&P (tau {chosenTau})", test, steps, new RefinementOptions(plan, chosenTau));

        // Unconditional generation: no given frames; only the parabola residual applies.
        var (free, freeEvaluations, freeSeconds) = await Generate(test, steps, new RefinementOptions(plan, chosenTau), WindowJoin.CoDenoise, conditioned: false);
        table.Add(["unconditional, uncertainty-aware P&P", freeEvaluations, double.NaN, "-", double.NaN,
            free.Select(v => PhysicsMetrics.UnconditionalParabolaResidual(v, frames, simulator.Height, simulator.Width)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(),
            double.NaN, freeSeconds, .. kinds.Select(_ => (object)double.NaN)]);

        PhysicsClip[] longClips = Enumerable.Range(0, scenes).Select(i => simulator.Generate(PhysicsDataset.TestSeed(i), longFrames)).ToArray();
        foreach (WindowJoin join in Enum.GetValues<WindowJoin>())
        {
            await Row($"{longFrames} frames, {join}", longClips, steps, new RefinementOptions(plan, chosenTau), join);
        }
        table.Notes.Add("NFE: model forward passes per video (windowed rows: per window). centroid err: tracked vs true ball centre over the generated");
        table.Notes.Add("frames where the ball is tracked, mean over scenes with its 95% interval. track loss: share of (ball, frame) where it vanished,");
        table.Notes.Add("split or smeared. parabola res: RMS of tracked paths around per-segment parabolas. bg PSNR: pixels away from every ball.");
        table.Notes.Add("The constant-velocity baseline predicts positions only (no frames), so it has no parabola or background figure.");
        return table;
    }
}
