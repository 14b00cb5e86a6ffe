using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>
/// Co-denoising with each window's latent and P&amp;P state kept by the window (only shared frames' velocities travel)
/// gives the same bits as the job holding the whole latent.
/// </summary>
public sealed class ResidentCoDenoiseTests
{
    private static readonly long[] Seeds = [7, 11];

    // 40 frames, windows of 16 overlapping by 4: [0,16) [12,28) [24,40). Odd frame sizes so no row is a whole vector.
    private static readonly long[] Shape = [3, 40, 5, 7];

    /// <summary>
    /// Window 0 predicts a noise-dependent clean video; windows 1 and 2 predict fixed ones, so under tau the cells of
    /// window 2 (which shares frames only with window 1) all become certain and window 2 is skipped in later
    /// iterations, while window 1 (sharing frames with window 0) keeps refining.
    /// </summary>
    private static IVelocityField WindowField(TemporalWindow window, FrameConditioning? conditioning) => new FunctionField((z, s) => window.Index == 0
        ? (z - 0.8 * tanh(2.0 * z) * (1.0 - 0.3 * s)) / s
        : (z - (0.1 * window.Index - 0.05)) / s);

    private static WindowedSampler Sampler(WindowPlan plan, RefinementOptions refinement, WindowBlend blend = WindowBlend.Linear, bool skip = true)
        => new(plan, WindowJoin.CoDenoise, WindowField, FlowSchedule.Create(6, 3.0), refinement, blend, skip);

    private static async Task<(Tensor Latent, IReadOnlyList<StepReport> Steps)> JobOwnedAsync(WindowedSampler sampler, FrameConditioning? conditioning = null)
    {
        WindowedResult result = await sampler.SampleAsync(Seeds, Shape, conditioning);
        return (result.Latent, result.Steps);
    }

    /// <summary>Runs the job both ways, asserts the same latent bits and the same step reports, and returns the reports.</summary>
    private static async Task<IReadOnlyList<StepReport>> SameBitsBothWaysAsync(WindowedSampler sampler, FrameConditioning? conditioning = null)
    {
        var (owned, ownedSteps) = await JobOwnedAsync(sampler, conditioning);
        var (resident, residentSteps) = await ResidentAsync(sampler, conditioning);
        using (owned)
        using (resident)
        {
            Assert.True(Bits.Same(owned, resident), "the resident windows' latent differs from the job-owned latent");
        }
        Assert.Equal(ownedSteps.Select(Summary), residentSteps.Select(Summary));
        return ownedSteps;
    }

    private static async Task<(Tensor Latent, IReadOnlyList<StepReport> Steps)> ResidentAsync(WindowedSampler sampler, FrameConditioning? conditioning = null)
    {
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        using ResidentCoDenoise run = sampler.StartResident(Seeds, initial, conditioning);
        IReadOnlyList<StepReport> steps = await run.SampleAsync();
        return (await run.GatherAsync(steps.Count), steps);
    }

    [Theory]
    [InlineData(WindowBlend.Linear, true)]
    [InlineData(WindowBlend.Pyramid, true)]
    [InlineData(WindowBlend.Uniform, false)]
    public async Task SameBitsAsTheJobOwnedLatentUnderTheMask(WindowBlend blend, bool skip)
    {
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), new RefinementOptions(RefinementPlan.Parse("0-4:3"), tau: 0.02), blend, skip);
        IReadOnlyList<StepReport> ownedSteps = await SameBitsBothWaysAsync(sampler);
        // The test exercises the mask: some cells become certain, and with skipping some window is skipped.
        Assert.Contains(ownedSteps, s => s.CertainFraction > 0.2);
        Assert.Equal(skip, ownedSteps.Any(s => s.SkippedEvaluations > 0));
    }

    [Fact]
    public async Task SameBitsWithGivenFramesAndWindowsSharingFramesThreeWays()
    {
        // Windows of 16 every 6 frames: frames 12..15 are in three windows.
        var plan = new WindowPlan(40, 16, 10);
        Assert.Contains(Enumerable.Range(0, 40), f => plan.Windows.Count(w => w.Contains(f)) == 3);
        WindowedSampler sampler = Sampler(plan, new RefinementOptions(RefinementPlan.Parse("1-3:2"), tau: 0.05, p: 2.0));
        using Tensor clean = rand([1, .. Shape]);
        var conditioning = new FrameConditioning(clean, Enumerable.Range(0, 40).Select(f => f < 3).ToArray());
        await SameBitsBothWaysAsync(sampler, conditioning);
    }

    [Fact]
    public async Task SettledSamplesStopTheSameWay()
    {
        // A low certain fraction settles samples after their first refinement iteration.
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), new RefinementOptions(RefinementPlan.Parse("0-5:3"), tau: 0.02, certainFraction: 0.5));
        IReadOnlyList<StepReport> ownedSteps = await SameBitsBothWaysAsync(sampler);
        Assert.Contains(ownedSteps, s => s.IterationsSkipped > 0);
    }

    [Fact]
    public async Task ResumingFromAJobOwnedCheckpointGivesTheSameBits()
    {
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), new RefinementOptions(RefinementPlan.Parse("0-4:2"), tau: 0.02));
        var (owned, _) = await JobOwnedAsync(sampler);
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        Tensor checkpoint = initial;
        using CoDenoiseRun firstHalf = sampler.StartCoDenoise(null);
        for (int step = 0; step < 3; step++)
        {
            StepOutcome outcome = await firstHalf.Sampler.StepAsync(checkpoint, step, Seeds);
            if (!ReferenceEquals(checkpoint, initial))
            {
                checkpoint.Dispose();
            }
            checkpoint = outcome.Latent;
        }
        using (checkpoint)
        using (ResidentCoDenoise resident = sampler.StartResident(Seeds, checkpoint, stepsDone: 3))
        {
            await resident.SampleAsync(firstStep: 3);
            using Tensor resumed = await resident.GatherAsync(resident.Schedule.Steps);
            using (owned)
            {
                Assert.True(Bits.Same(owned, resumed), "resuming on resident windows from step 3 differs from the uninterrupted run");
            }
        }
    }

    [Fact]
    public async Task OnlySharedFramesTravelAndTheCopiesAgree()
    {
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), RefinementOptions.None);
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        using ResidentCoDenoise run = sampler.StartResident(Seeds, initial);
        await run.StepAsync(0);
        // One round: windows 0 and 1 swap their velocities over frames 12..15, windows 1 and 2 over 24..27.
        long frameValues = Seeds.Length * Shape[0] * Shape[2] * Shape[3];
        Assert.Equal(4 * 4 * frameValues, run.ExchangedValues);
        Assert.True(run.ExchangedValues < initial.numel() / 2);
        await run.SampleAsync(firstStep: 1);
        using Tensor left = run.WindowLatent(0).narrow(2, 12, 4);
        using Tensor right = run.WindowLatent(1).narrow(2, 0, 4);
        Assert.True(Bits.Same(left, right), "windows 0 and 1 hold different values for the frames they share");
    }

    [Fact]
    public async Task AWindowStartsTheRoundThatFollowsBeforeItIsAskedAndTheAskJoinsIt()
    {
        // Step 0 is a plain Euler step; step 1 refines once. What follows step 0 does not depend on any report.
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), new RefinementOptions(RefinementPlan.Parse("1-2:1"), tau: 0.02));
        var (owned, _) = await JobOwnedAsync(sampler);
        var evaluator = new CountingEvaluator(new FieldWindowEvaluator(w => WindowField(w, null)));
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        using ResidentCoDenoise run = sampler.StartResident(Seeds, initial, evaluator: evaluator);
        await run.StepAsync(0);
        // Not asked for step 1 yet: every window evaluates its first round all the same, and goes no further.
        await evaluator.WaitForAsync(step: 1, iteration: 0, windows: 3);
        Assert.DoesNotContain(evaluator.Calls.Keys, k => k.Step == 1 && k.Iteration == 1);
        IReadOnlyList<StepReport> steps = await run.SampleAsync(firstStep: 1);
        using Tensor resident = await run.GatherAsync(steps.Count + 1);
        using (owned)
        {
            Assert.True(Bits.Same(owned, resident), "running ahead changed the bits");
        }
        // Each round of each window was evaluated once: the asks joined the rounds started ahead.
        int rounds = RefinementPlan.Parse("1-2:1").Nfe(6, guided: false);
        Assert.Equal(3 * rounds, evaluator.Calls.Count);
        Assert.All(evaluator.Calls.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task ACheckpointGatherOvertakenByTheNextStepReadsTheLatentItAskedFor()
    {
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), RefinementOptions.None);
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        Tensor afterThree = initial;
        using (CoDenoiseRun owned = sampler.StartCoDenoise(null))
        {
            for (int step = 0; step < 3; step++)
            {
                StepOutcome outcome = await owned.Sampler.StepAsync(afterThree, step, Seeds);
                if (!ReferenceEquals(afterThree, initial))
                {
                    afterThree.Dispose();
                }
                afterThree = outcome.Latent;
            }
        }
        var evaluator = new CountingEvaluator(new FieldWindowEvaluator(w => WindowField(w, null)));
        using ResidentCoDenoise run = sampler.StartResident(Seeds, initial, evaluator: evaluator);
        for (int step = 0; step < 4; step++)
        {
            await run.StepAsync(step);
        }
        // The windows are into step 4 (their latent is after 4 steps) when the checkpoint after 3 is gathered.
        await evaluator.WaitForAsync(step: 4, iteration: 0, windows: 3);
        using (afterThree)
        using (Tensor gathered = await run.GatherAsync(3))
        {
            Assert.True(Bits.Same(afterThree, gathered), "the latent gathered after 3 steps differs from the job-owned one");
        }
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.GatherAsync(2));
        Assert.Contains("asked for its latent after 2", error.Message);
    }

    [Fact]
    public async Task DisposedWhileAWindowRunsARoundAheadTheGivenFramesItReadsStayUntilItLeaves()
    {
        var schedule = FlowSchedule.Create(6, 3.0);
        double stepOne = schedule.Sigma(1);
        using var release = new ManualResetEventSlim();
        using var inside = new CountdownEvent(3);
        using var done = new CountdownEvent(3);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var sampler = new WindowedSampler(new WindowPlan(40, 16, 4), WindowJoin.CoDenoise, (window, given) => new FunctionField((z, s) =>
        {
            if (s == stepOne)
            {
                inside.Signal();
                release.Wait();
            }
            try
            {
                // Window 0's field reads its slice of the given frames, which the run owns.
                using Tensor sum = given is null ? zeros(1) : given.Clean.sum();
                _ = sum.item<float>();
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
            if (s == stepOne)
            {
                done.Signal();
            }
            return (z - 0.1) / s;
        }), schedule, RefinementOptions.None, WindowBlend.Linear, true);
        using Tensor clean = rand([1, .. Shape]);
        var conditioning = new FrameConditioning(clean, Enumerable.Range(0, 40).Select(f => f < 3).ToArray());
        using Tensor initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        ResidentCoDenoise run = sampler.StartResident(Seeds, initial, conditioning);
        await run.StepAsync(0);
        Assert.True(inside.Wait(TimeSpan.FromMinutes(1)), "every window begins step 1 before it is asked");
        run.Dispose();
        release.Set();
        Assert.True(done.Wait(TimeSpan.FromMinutes(1)), "the rounds begun ahead finish their forward");
        Assert.Empty(failures);
    }

    [Fact]
    public void AWrongLatentNamesItsShape()
    {
        WindowedSampler sampler = Sampler(new WindowPlan(40, 16, 4), RefinementOptions.None);
        using Tensor wrong = zeros([2, 3, 39, 5, 7]);
        var error = Assert.Throws<ArgumentException>(() => sampler.StartResident(Seeds, wrong));
        Assert.Equal("latent", error.ParamName);
    }

    /// <summary>Counts the evaluations of each (window, step, iteration).</summary>
    private sealed class CountingEvaluator(IWindowEvaluator inner) : IWindowEvaluator
    {
        public System.Collections.Concurrent.ConcurrentDictionary<(int Window, int Step, int Iteration), int> Calls { get; } = new();

        public Task<Prediction> EvaluateAsync(TemporalWindow window, Tensor windowLatent, StepContext context, CancellationToken cancellationToken = default)
        {
            Calls.AddOrUpdate((window.Index, context.Step, context.Iteration), 1, (_, n) => n + 1);
            return inner.EvaluateAsync(window, windowLatent, context, cancellationToken);
        }

        /// <summary>Waits (up to a minute) until <paramref name="windows"/> windows have evaluated the round.</summary>
        public async Task WaitForAsync(int step, int iteration, int windows)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (Calls.Keys.Count(k => k.Step == step && k.Iteration == iteration) < windows)
            {
                await Task.Delay(10, limit.Token);
            }
        }
    }

    private static string Summary(StepReport s) =>
        $"{s.Step} p{s.Predictions} e{s.Evaluations} skip{s.SkippedEvaluations} r{s.RefineEvaluations} k{s.PlannedIterations}-{s.IterationsSkipped} f[{string.Join(",", s.CertainFractions.Select(f => BitConverter.DoubleToInt64Bits(f)))}]";
}
