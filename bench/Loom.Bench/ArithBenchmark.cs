using System.Diagnostics;
using Loom.Models.WorldModel;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// The job's own arithmetic per step of a co-denoised long video, alone: the windowed sampler in this process with a
/// free model (each window's velocity is a copy of its latent), so what is timed is slicing, fusion, the given-frame
/// replacement, P&amp;P (Euler, merge, mask, noise) and the window bookkeeping: what a cluster job does on its silo
/// between forwards, on its critical path.
/// </summary>
public static class ArithBenchmark
{
    /// <summary>Runs it: <c>--windows --window --overlap --steps --plan --height --repeats</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int windows = args.Int("windows", 16), window = args.Int("window", 16), overlap = args.Int("overlap", 4), steps = args.Int("steps", 12);
        int size = args.Int("height", 32), repeats = args.Int("repeats", 5);
        string plan = args.Text("plan", "1-4:2");
        int frames = window + (windows - 1) * (window - overlap);
        var windowPlan = new WindowPlan(frames, window, overlap);
        var refinement = new RefinementOptions(RefinementPlan.Parse(plan));
        int rounds = refinement.Plan.Nfe(steps, guided: false);
        long[] shape = [WorldModelConfig.Channels, frames, size, size];
        var given = Enumerable.Range(0, frames).Select(f => f < 2).ToArray();
        using Tensor clean = zeros([1, .. shape]);
        var conditioning = new FrameConditioning(clean, given);
        var sampler = new WindowedSampler(windowPlan, WindowJoin.CoDenoise, (_, _) => new CopyField(), FlowSchedule.Create(steps), refinement);

        var table = new BenchTable("arith", new Dictionary<string, object>
        {
            ["latent"] = $"[1, {string.Join(", ", shape)}] ({shape.Aggregate(1L, (a, b) => a * b):N0} values), {windows} windows of {window} (overlap {overlap})",
            ["steps"] = $"{steps}, plan {plan}: {rounds} rounds; best of {repeats}",
            ["load average"] = LoadAverage.Now(),
        }, ["what", "ms/step", "ms/round"]);
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            using WindowedResult result = await sampler.SampleAsync([1], shape, conditioning);
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        table.Add("job arithmetic, free model", best / steps, best / rounds);
        table.Notes.Add("The windowed sampler (co-denoise) in this process; a window's velocity is a copy of its latent (one copy per window per round).");
        return table;
    }

    private sealed class CopyField : IVelocityField
    {
        public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(new Prediction(TensorBlock.Run(() => z.clone()), 1));
    }
}
