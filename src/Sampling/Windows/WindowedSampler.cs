using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// Samples a video longer than one model call through temporal windows, joined by co-denoising, independent
/// windows or chained windows (docs/architecture.md §2, windows). Noise is always the whole video's, so the cut never changes it.
/// </summary>
public sealed class WindowedSampler
{
    private readonly Func<TemporalWindow, FrameConditioning?, IVelocityField> _windowField;
    private readonly WindowContinuation? _continuation;

    /// <summary>Creates the sampler.</summary>
    /// <param name="plan">The windows.</param>
    /// <param name="join">How windows are joined.</param>
    /// <param name="windowField">
    /// The model's field for one window, seeing only that window's frames, conditioned on the clean frames given
    /// inside it (null when none). The window sampler adds the given-frame velocity replacement on top.
    /// </param>
    /// <param name="schedule">The sigmas.</param>
    /// <param name="refinement">P&amp;P settings (global for co-denoise, per window otherwise).</param>
    /// <param name="blend">Fusion weights.</param>
    /// <param name="skipCertainWindows">Co-denoise: skip fully certain windows during refinement.</param>
    /// <param name="continuation">
    /// Chained: the model conditions each next window on the previous one itself (see <see cref="WindowContinuation"/>);
    /// the frames windows share are then not held exact in the next window (only the caller's given frames are).
    /// </param>
    public WindowedSampler(
        WindowPlan plan,
        WindowJoin join,
        Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField,
        FlowSchedule schedule,
        RefinementOptions? refinement = null,
        WindowBlend blend = WindowBlend.Linear,
        bool skipCertainWindows = true,
        WindowContinuation? continuation = null)
    {
        Plan = plan;
        Join = join;
        Schedule = schedule;
        Refinement = refinement ?? RefinementOptions.None;
        Refinement.Plan.ValidateFor(schedule.Steps);
        Blend = blend;
        SkipCertainWindows = skipCertainWindows;
        _windowField = windowField;
        _continuation = continuation;
    }

    /// <summary>The windows.</summary>
    public WindowPlan Plan { get; }

    /// <summary>How windows are joined.</summary>
    public WindowJoin Join { get; }

    /// <summary>The sigmas.</summary>
    public FlowSchedule Schedule { get; }

    /// <summary>P&amp;P settings.</summary>
    public RefinementOptions Refinement { get; }

    /// <summary>Fusion weights.</summary>
    public WindowBlend Blend { get; }

    /// <summary>Whether co-denoise skips fully certain windows.</summary>
    public bool SkipCertainWindows { get; }

    /// <summary>Samples a video of shape <c>[B = seeds, sampleShape]</c>, <c>sampleShape = [C, F, ...]</c>.</summary>
    /// <param name="seeds">One seed per video.</param>
    /// <param name="sampleShape">One video's latent shape; its frame count must be the plan's.</param>
    /// <param name="conditioning">Clean frames given for the whole video (<c>[B or 1, C, F, ...]</c>), or null.</param>
    /// <param name="onStep">Called with each step report.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public Task<WindowedResult> SampleAsync(
        IReadOnlyList<long> seeds,
        long[] sampleShape,
        FrameConditioning? conditioning = null,
        Action<StepReport>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        if (sampleShape.Length < 2 || sampleShape[1] != Plan.Frames)
        {
            throw new ArgumentException($"sampleShape must be [C, F, ...] with F = {Plan.Frames}; got [{string.Join(", ", sampleShape)}].", nameof(sampleShape));
        }
        if (conditioning is not null && conditioning.Given.Count != Plan.Frames)
        {
            throw new ArgumentException($"conditioning flags {conditioning.Given.Count} frames; the video has {Plan.Frames}.", nameof(conditioning));
        }
        return Join switch
        {
            WindowJoin.CoDenoise => CoDenoiseAsync(seeds, sampleShape, conditioning, onStep, cancellationToken),
            WindowJoin.Independent => IndependentAsync(seeds, sampleShape, conditioning, onStep, cancellationToken),
            WindowJoin.Chained => ChainedAsync(seeds, sampleShape, conditioning, onStep, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(Join), Join, "unknown join."),
        };
    }

    /// <summary>
    /// Sets up co-denoising over the whole video for stepping one outer step at a time (a job checkpoints between
    /// steps): the returned run's sampler sees one fused velocity field, with the given frames held exact.
    /// </summary>
    /// <param name="conditioning">Clean frames given for the whole video, or null; borrowed for the run's lifetime.</param>
    public CoDenoiseRun StartCoDenoise(FrameConditioning? conditioning)
    {
        var slices = new List<FrameConditioning>();
        IVelocityField field = new CoDenoiseField(Plan, WindowEvaluator(conditioning, slices), Blend, SkipCertainWindows);
        ConditionedFrames? conditioned = conditioning is { Any: true } ? new ConditionedFrames(field, conditioning.Clean, conditioning.Given) : null;
        return new CoDenoiseRun(new SelfRefiningSampler(conditioned ?? field, Schedule, Refinement), conditioned, slices);
    }

    /// <summary>
    /// Sets up co-denoising with each window's latent and P&amp;P state kept by the window and only shared frames'
    /// velocities exchanged (<see cref="ResidentCoDenoise"/>); it gives the same bits as <see cref="StartCoDenoise"/>.
    /// </summary>
    /// <param name="seeds">One seed per video.</param>
    /// <param name="latent">
    /// The whole latent to start from (<c>[B, C, F, ...]</c>, borrowed: each window copies its slice), e.g. a checkpoint
    /// saved after step <c>firstStep - 1</c>, or <see cref="SelfRefiningSampler.InitialLatent"/> for step 0.
    /// </param>
    /// <param name="conditioning">Clean frames given for the whole video, or null; borrowed for the run's lifetime.</param>
    /// <param name="evaluator">Evaluates the windows; null: in this process, with the sampler's window fields.</param>
    /// <param name="stepsDone">Steps <paramref name="latent"/> is after (the first step run is this one).</param>
    public ResidentCoDenoise StartResident(IReadOnlyList<long> seeds, Tensor latent, FrameConditioning? conditioning = null, IWindowEvaluator? evaluator = null, int stepsDone = 0)
    {
        if (latent.dim() < 3 || latent.shape[0] != seeds.Count || latent.shape[WindowFusion.FrameAxis] != Plan.Frames)
        {
            throw new ArgumentException($"latent must be [B, C, F, ...] with B = {seeds.Count} and F = {Plan.Frames}; got [{string.Join(", ", latent.shape)}].", nameof(latent));
        }
        var slices = new List<FrameConditioning>();
        return new ResidentCoDenoise(Plan, evaluator ?? WindowEvaluator(conditioning, slices), Schedule, Refinement, Blend, SkipCertainWindows, seeds, latent, stepsDone, conditioning, slices);
    }

    /// <summary>Evaluates each window in this process with its field, conditioned on its slice of the given frames (kept in <paramref name="slices"/> to dispose).</summary>
    private FieldWindowEvaluator WindowEvaluator(FrameConditioning? conditioning, List<FrameConditioning> slices) => new(window =>
    {
        FrameConditioning? local = Slice(conditioning, window);
        if (local is not null)
        {
            lock (slices)
            {
                slices.Add(local);
            }
        }
        return _windowField(window, local);
    });

    private async Task<WindowedResult> CoDenoiseAsync(
        IReadOnlyList<long> seeds, long[] sampleShape, FrameConditioning? conditioning, Action<StepReport>? onStep, CancellationToken cancellationToken)
    {
        using CoDenoiseRun run = StartCoDenoise(conditioning);
        SampleResult result = await run.Sampler.SampleAsync(seeds, sampleShape, onStep, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new WindowedResult(result.Latent, WindowJoin.CoDenoise, result.Steps);
    }

    private async Task<WindowedResult> IndependentAsync(
        IReadOnlyList<long> seeds, long[] sampleShape, FrameConditioning? conditioning, Action<StepReport>? onStep, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(Plan.Windows.Select(
            window => SampleWindowAsync(window, seeds, sampleShape, Slice(conditioning, window), onStep, cancellationToken))).ConfigureAwait(false);
        try
        {
            Tensor fused = TensorBlock.Run(() =>
            {
                using Tensor video = empty(new[] { (long)seeds.Count }.Concat(sampleShape).ToArray());
                return WindowFusion.Fuse(Plan, Plan.Weights(Blend), results.Select(r => (Tensor?)r.Latent).ToArray(), video);
            });
            return new WindowedResult(fused, WindowJoin.Independent, results.SelectMany(r => r.Steps).ToArray());
        }
        finally
        {
            foreach (SampleResult result in results)
            {
                result.Dispose();
            }
        }
    }

    private async Task<WindowedResult> ChainedAsync(
        IReadOnlyList<long> seeds, long[] sampleShape, FrameConditioning? conditioning, Action<StepReport>? onStep, CancellationToken cancellationToken)
    {
        long[] videoShape = new[] { (long)seeds.Count }.Concat(sampleShape).ToArray();
        // The video so far; frames given by the caller are in place from the start.
        Tensor produced = TensorBlock.Run(() => conditioning is null
            ? zeros(videoShape)
            : conditioning.Clean.expand(videoShape).contiguous().clone());
        bool[] known = conditioning?.Given.ToArray() ?? new bool[Plan.Frames];
        var steps = new List<StepReport>();
        Tensor? beforeLatent = null;
        try
        {
            TemporalWindow? before = null;
            foreach (TemporalWindow window in Plan.Windows)
            {
                FrameConditioning? windowConditioning;
                if (_continuation is not null)
                {
                    // The model conditions window k+1 on window k itself; only the caller's frames are held.
                    if (before is not null)
                    {
                        _continuation(before.Value, beforeLatent!, window);
                    }
                    windowConditioning = Slice(conditioning, window);
                }
                else
                {
                    // Window k+1 is conditioned on everything already known inside it: the frames it shares with window k.
                    windowConditioning = Slice(new FrameConditioning(produced, known), window);
                }
                using SampleResult result = await SampleWindowAsync(window, seeds, sampleShape, windowConditioning, onStep, cancellationToken).ConfigureAwait(false);
                steps.AddRange(result.Steps);
                beforeLatent?.Dispose();
                beforeLatent = _continuation is null ? null : TensorBlock.Run(() => result.Latent.clone());
                before = window;
                Tensor previous = produced;
                produced = TensorBlock.Run(() =>
                {
                    // Keep what was known (exact continuity); take the window's frames for the rest.
                    Tensor mask = tensor(Enumerable.Range(window.Start, window.Length).Select(f => !known[f]).ToArray())
                        .reshape(WindowShape(videoShape.Length, window.Length));
                    Tensor merged = where(mask, result.Latent, previous.narrow(WindowFusion.FrameAxis, window.Start, window.Length));
                    return cat([
                        previous.narrow(WindowFusion.FrameAxis, 0, window.Start),
                        merged,
                        previous.narrow(WindowFusion.FrameAxis, window.End, Plan.Frames - window.End)], WindowFusion.FrameAxis);
                });
                previous.Dispose();
                windowConditioning?.Clean.Dispose();
                for (int f = window.Start; f < window.End; f++)
                {
                    known[f] = true;
                }
            }
            return new WindowedResult(produced, WindowJoin.Chained, steps);
        }
        catch
        {
            produced.Dispose();
            throw;
        }
        finally
        {
            beforeLatent?.Dispose();
        }
    }

    /// <summary>Samples one window start to finish with its own refinement; its noise is the video's, narrowed.</summary>
    private async Task<SampleResult> SampleWindowAsync(
        TemporalWindow window, IReadOnlyList<long> seeds, long[] sampleShape, FrameConditioning? conditioning, Action<StepReport>? onStep, CancellationToken cancellationToken)
    {
        long[] windowShape = (long[])sampleShape.Clone();
        windowShape[1] = window.Length;
        IVelocityField field = _windowField(window, conditioning);
        ConditionedFrames? conditioned = conditioning is { Any: true } ? new ConditionedFrames(field, conditioning.Clean, conditioning.Given) : null;
        try
        {
            var slice = new NoiseSlice(WindowFusion.FrameAxis, window.Start, Plan.Frames);
            var sampler = new SelfRefiningSampler(conditioned ?? field, Schedule, Refinement, slice);
            return await sampler.SampleAsync(seeds, windowShape, onStep, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            conditioned?.Dispose();
        }
    }

    /// <summary>The part of <paramref name="conditioning"/> inside <paramref name="window"/> (its clean values owned by the caller), or null when no frame there is given.</summary>
    public static FrameConditioning? Slice(FrameConditioning? conditioning, TemporalWindow window)
    {
        if (conditioning is null)
        {
            return null;
        }
        bool[] given = conditioning.Given.Skip(window.Start).Take(window.Length).ToArray();
        if (!given.Any(g => g))
        {
            return null;
        }
        Tensor clean = TensorBlock.Run(() => conditioning.Clean.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous().clone());
        return new FrameConditioning(clean, given);
    }

    private static long[] WindowShape(int rank, int length)
    {
        long[] shape = Enumerable.Repeat(1L, rank).ToArray();
        shape[WindowFusion.FrameAxis] = length;
        return shape;
    }
}
