using Loom.Models.Analytic;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

public sealed class WindowedSamplingTests
{
    private static readonly RefinementOptions Refined = new(RefinementPlan.Parse("1-5:2"), tau: 0.1);

    [Fact]
    public async Task One_window_covering_all_frames_equals_the_unwindowed_sampler_bit_for_bit()
    {
        var process = new Ar1Video(0.8);
        var schedule = FlowSchedule.Create(10, 3.0);
        long[] shape = [3, 6, 2, 2];
        using SampleResult whole = await new SelfRefiningSampler(process.Whole(6), schedule, Refined).SampleAsync([1, 2], shape);
        foreach (WindowBlend blend in Enum.GetValues<WindowBlend>())
        {
            var windowed = new WindowedSampler(new WindowPlan(6, 8, 2), WindowJoin.CoDenoise, process.Window, schedule, Refined, blend);
            using WindowedResult result = await windowed.SampleAsync([1, 2], shape);
            Assert.True(Bits.Same(whole.Latent, result.Latent), blend.ToString());
            Assert.Equal(whole.Evaluations, result.Evaluations);
        }
    }

    [Theory]
    [InlineData(WindowJoin.CoDenoise)]
    [InlineData(WindowJoin.Independent)]
    public async Task Initial_and_perturbation_noise_do_not_depend_on_the_window_plan(WindowJoin join)
    {
        // At step 0 sigma is 1, so the latent a window sees at iteration 0 is the initial noise and at iteration 1
        // it is exactly the perturbation noise: (1 - 1) x0 + 1 eps.
        var process = new Ar1Video(0.8);
        var schedule = FlowSchedule.Create(4, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("0:1"));
        long[] shape = [2, 12, 3];
        var seen = new List<Tensor>();
        foreach (var (length, overlap) in new[] { (4, 1), (6, 3), (12, 0) })
        {
            var log = new List<(int Iteration, TemporalWindow Window, Tensor Z)>();
            var sampler = new WindowedSampler(new WindowPlan(12, length, overlap), join,
                (w, c) => new RecordingField(process.Window(w, c), w, log), schedule, options);
            using WindowedResult result = await sampler.SampleAsync([9], shape);
            foreach (int iteration in new[] { 0, 1 })
            {
                var video = zeros(1, 2, 12, 3);
                foreach (var entry in log.Where(e => e.Iteration == iteration))
                {
                    video[.., .., entry.Window.Start..entry.Window.End] = entry.Z;
                }
                seen.Add(video);
            }
            log.ForEach(e => e.Z.Dispose());
        }
        for (int plan = 1; plan < 3; plan++)
        {
            Assert.True(Bits.Same(seen[0], seen[2 * plan]), "initial noise changed with the plan");
            Assert.True(Bits.Same(seen[1], seen[2 * plan + 1]), "perturbation noise changed with the plan");
        }
        Assert.False(Bits.Same(seen[0], seen[1]));
        seen.ForEach(t => t.Dispose());
    }

    [Fact]
    public async Task Skipping_certain_windows_changes_nothing_and_saves_evaluations()
    {
        // Video-to-world: the first 8 frames are given, so window [0, 8) is certain from the first perturbation on.
        var process = new Ar1Video(0.9);
        var schedule = FlowSchedule.Create(8, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("1-5:3"), tau: 1e-3);
        long[] shape = [2, 20, 2, 2];
        using var truth = process.Sample(2, shape, seed: 4);
        var conditioning = new FrameConditioning(truth, Enumerable.Range(0, 20).Select(f => f < 8).ToArray());
        var plan = new WindowPlan(20, 8, 2);
        using WindowedResult skipping = await new WindowedSampler(plan, WindowJoin.CoDenoise, process.Window, schedule, options).SampleAsync([5, 6], shape, conditioning);
        using WindowedResult full = await new WindowedSampler(plan, WindowJoin.CoDenoise, process.Window, schedule, options, skipCertainWindows: false).SampleAsync([5, 6], shape, conditioning);

        Assert.True(Bits.Same(full.Latent, skipping.Latent));
        Assert.True(skipping.SkippedEvaluations >= 5 * 2, $"skipped only {skipping.SkippedEvaluations}");
        Assert.Equal(full.Evaluations - skipping.SkippedEvaluations, skipping.Evaluations);
        Assert.Equal(0, full.SkippedEvaluations);
        using var drift = (skipping.Latent[.., .., ..8] - truth[.., .., ..8]).abs().max();
        Assert.True(drift.item<float>() < 1e-5, $"given frames drifted by {drift.item<float>()}");
    }

    [Fact]
    public async Task Co_denoise_keeps_the_lag1_correlation_at_joins_and_independent_windows_do_not()
    {
        // rho 0.9 and 8-frame windows: the correlation length (1/(1 - rho) = 10 frames) is longer than a window, so a
        // window alone cannot know its neighbours. Tolerance 0.08: the unwindowed sampler itself is off by ~0.03 at
        // these transitions (16 Euler steps with P&P), the estimate's noise is ~(1 - rho^2)/sqrt(n) = 0.005 for n = 1536,
        // and what windowing may add on top is bounded by 0.05 (a uniform blend loses ~0.15 here).
        var process = new Ar1Video(0.9);
        var schedule = FlowSchedule.Create(16, 1.0);
        var options = new RefinementOptions(RefinementPlan.Parse("1-6:2"), tau: 0.1);
        var plan = new WindowPlan(24, 8, 3);
        long[] shape = [4, 24, 4, 4];
        long[] seeds = Enumerable.Range(0, 24).Select(i => (long)i).ToArray();

        async Task<double> JoinError(WindowJoin join)
        {
            using WindowedResult result = await new WindowedSampler(plan, join, process.Window, schedule, options).SampleAsync(seeds, shape);
            return SeamMetrics.JoinCorrelationErrors(result.Latent, plan, 0.9).Average();
        }

        double coDenoise = await JoinError(WindowJoin.CoDenoise);
        double independent = await JoinError(WindowJoin.Independent);
        double chained = await JoinError(WindowJoin.Chained);
        Assert.True(coDenoise < 0.08, $"co-denoise join error {coDenoise:F3}");
        Assert.True(independent > coDenoise + 0.02, $"independent {independent:F3} vs co-denoise {coDenoise:F3}");
        Assert.True(chained < 0.08, $"chained join error {chained:F3}");
    }

    [Fact]
    public async Task Chained_windows_are_conditioned_on_exactly_the_frames_they_share_with_the_result_so_far()
    {
        var process = new Ar1Video(0.9);
        var plan = new WindowPlan(14, 6, 2); // [0,6) [4,10) [8,14)
        var seenConditioning = new Dictionary<int, (bool[] Given, Tensor Clean)>();
        var sampler = new WindowedSampler(plan, WindowJoin.Chained, (w, c) =>
        {
            if (c is not null)
            {
                seenConditioning[w.Index] = (c.Given.ToArray(), TensorBlock.Run(() => c.Clean.clone()));
            }
            return process.Window(w, c);
        }, FlowSchedule.Create(6), Refined);
        using WindowedResult result = await sampler.SampleAsync([3], [2, 14, 2]);

        Assert.Equal(new[] { 1, 2 }, seenConditioning.Keys.Order());
        Assert.Equal(new[] { true, true, false, false, false, false }, seenConditioning[1].Given);
        foreach (var (index, (_, clean)) in seenConditioning)
        {
            TemporalWindow window = plan.Windows[index];
            Assert.True(Bits.Same(result.Latent[.., .., window.Start..(window.Start + 2)], clean[.., .., ..2]), $"window {index}");
            clean.Dispose();
        }
        Assert.Equal(plan.Windows.Count * 6, result.Steps.Count);
    }

    /// <summary>Passes predictions through and keeps a copy of each window latent seen at step 0.</summary>
    private sealed class RecordingField(IVelocityField inner, TemporalWindow window, List<(int, TemporalWindow, Tensor)> log) : IVelocityField
    {
        public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
        {
            if (context.Step == 0)
            {
                lock (log)
                {
                    log.Add((context.Iteration, window, TensorBlock.Run(() => z.clone())));
                }
            }
            return inner.PredictAsync(z, context, cancellationToken);
        }
    }
}
