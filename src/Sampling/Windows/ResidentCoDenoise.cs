using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// Co-denoising where each window keeps its own slice of the latent and of the P&amp;P state (as a shard holding the
/// window would) and only the velocities over shared frames travel between neighbours. Each round every window
/// evaluates its slice, receives its neighbours' velocities over the frames it shares with them, fuses its own frames
/// (<see cref="WindowFusion.FuseWindow"/>) and applies the Euler step, the uncertainty mask and the merge to its
/// slice alone. The only global quantity is each sample's count of certain cells (one integer per window and sample),
/// summed for the early exit. The same job gives the same bits as <see cref="WindowedSampler.StartCoDenoise"/>, where
/// one owner holds the whole latent: the arithmetic is elementwise or per cell, the fusion adds the same slices in the
/// same order, and the noise is the whole video's, narrowed (docs/coordination-model.md).
/// </summary>
public sealed class ResidentCoDenoise : IDisposable
{
    private readonly IWindowEvaluator _evaluator;
    private readonly double[][] _weights;
    private readonly ResidentWindow[] _windows;
    private readonly long[] _seeds;
    private readonly long _cellsPerSample;
    private readonly List<FrameConditioning> _slices;
    private int _evaluationsPerWindow = 1;

    internal ResidentCoDenoise(
        WindowPlan plan, IWindowEvaluator evaluator, FlowSchedule schedule, RefinementOptions refinement, WindowBlend blend, bool skipCertainWindows,
        IReadOnlyList<long> seeds, Tensor latent, FrameConditioning? conditioning, List<FrameConditioning> slices)
    {
        _slices = slices;
        Plan = plan;
        Schedule = schedule;
        Refinement = refinement;
        SkipCertainWindows = skipCertainWindows;
        _evaluator = evaluator;
        _weights = plan.Weights(blend);
        _seeds = seeds.ToArray();
        _cellsPerSample = latent.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        var windows = new List<ResidentWindow>(plan.Windows.Count);
        try
        {
            foreach (TemporalWindow window in plan.Windows)
            {
                int ownedFrom = window.Index == 0 ? window.Start : Math.Min(window.End, Math.Max(window.Start, plan.Windows[window.Index - 1].End));
                Tensor slice = Narrow(latent, window);
                Tensor? given = null, frameMask = null;
                if (conditioning is { Any: true })
                {
                    given = Narrow(conditioning.Clean, window);
                    long[] maskShape = Enumerable.Repeat(1L, (int)latent.dim()).ToArray();
                    maskShape[WindowFusion.FrameAxis] = window.Length;
                    frameMask = TensorBlock.Run(() => tensor(conditioning.Given.Skip(window.Start).Take(window.Length).ToArray(), device: latent.device).reshape(maskShape));
                }
                windows.Add(new ResidentWindow(window, slice, ownedFrom, given, frameMask));
            }
        }
        catch
        {
            windows.ForEach(w => w.Dispose());
            throw;
        }
        _windows = windows.ToArray();
    }

    /// <summary>The windows.</summary>
    public WindowPlan Plan { get; }

    /// <summary>The sigmas.</summary>
    public FlowSchedule Schedule { get; }

    /// <summary>P&amp;P settings (the mask and the early exit are global across windows).</summary>
    public RefinementOptions Refinement { get; }

    /// <summary>Whether fully certain windows are skipped during refinement.</summary>
    public bool SkipCertainWindows { get; }

    /// <summary>Latent values that travelled between windows so far (velocities over shared frames, one count per receiving window).</summary>
    public long ExchangedValues { get; private set; }

    /// <summary>Certain-cell counts sent to the step's coordinator so far (one per evaluated round, window and sample).</summary>
    public long ExchangedCounts { get; private set; }

    /// <summary>Window <paramref name="index"/>'s latent at the current step (borrowed).</summary>
    public Tensor WindowLatent(int index) => _windows[index].Latent;

    /// <summary>The whole latent <c>[B, C, F, ...]</c>, each frame taken from the first window that covers it (owned by the caller).</summary>
    public Tensor Gather() => TensorBlock.Run(() => cat(
        _windows.Where(w => w.OwnedCount > 0)
            .Select(w => w.Latent.narrow(WindowFusion.FrameAxis, w.OwnedFrom - w.Window.Start, w.OwnedCount)).ToArray(),
        WindowFusion.FrameAxis));

    /// <summary>
    /// One outer step i on every window: a plain Euler step when the plan gives K = 0 here, else Predict-and-Perturb
    /// with K extra predictions under the global mask, exactly as <see cref="SelfRefiningSampler.StepAsync"/> on the
    /// fused field; each window's latent moves to <c>sigma_{i+1}</c>.
    /// </summary>
    public async Task<StepReport> StepAsync(int step, CancellationToken cancellationToken = default)
    {
        if (step < 0 || step >= Schedule.Steps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be in 0..{Schedule.Steps - 1}.");
        }
        double s = Schedule.Sigma(step);
        double sNext = Schedule.NextSigma(step);
        int planned = Refinement.Plan.ExtraAt(step);
        var context = new StepContext(step, s, sNext) { Timestep = Schedule.Timestep(step) };
        var fractions = new List<double>(planned);
        int predictions = 0, evaluations = 0, refineEvaluations = 0, skippedEvaluations = 0;
        int batch = _seeds.Length;
        var inputs = new Tensor?[_windows.Length];
        try
        {
            Round first = await RoundAsync(_windows.Select(w => w.Latent).ToArray(), new bool[_windows.Length], context, cancellationToken).ConfigureAwait(false);
            predictions++;
            evaluations += first.Evaluations;
            skippedEvaluations += first.Skipped;
            foreach (ResidentWindow window in _windows)
            {
                using Tensor fused = first.Fused[window.Window.Index]!;
                (window.X0, window.Next) = TensorBlock.Run(() => PredictAndPerturb.Euler(window.Latent, fused, s, sNext));
                if (planned > 0)
                {
                    long[] cellShape = (long[])window.Latent.shape.Clone();
                    cellShape[1] = 1;
                    window.Certain = TensorBlock.Run(() => zeros(cellShape, ScalarType.Bool, window.Latent.device));
                }
            }

            var settled = new bool[batch];
            int iteration = 1;
            for (; iteration <= planned && !settled.All(done => done); iteration++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var skip = new bool[_windows.Length];
                foreach (ResidentWindow window in _windows)
                {
                    int w = window.Window.Index;
                    // Each window draws the whole video's noise for (seed, step, iteration) and keeps its frames.
                    long[] sampleShape = window.Latent.shape[1..];
                    using (Tensor eps = DeterministicNoise.Batch(_seeds, step, iteration, sampleShape, window.Latent.dtype, window.Latent.device,
                        new NoiseSlice(WindowFusion.FrameAxis, window.Window.Start, Plan.Frames)))
                    {
                        inputs[w] = PredictAndPerturb.Perturb(window.X0!, eps, s);
                    }
                    skip[w] = SkipCertainWindows && TensorBlock.Read(() => window.Certain!.all().item<bool>());
                }
                Round refined = await RoundAsync(inputs!, skip, context with { Iteration = iteration }, cancellationToken).ConfigureAwait(false);
                predictions++;
                evaluations += refined.Evaluations;
                refineEvaluations += refined.Evaluations;
                skippedEvaluations += refined.Skipped;

                var certainCells = new long[batch];
                foreach (ResidentWindow window in _windows)
                {
                    int w = window.Window.Index;
                    if (refined.Fused[w] is { } fused)
                    {
                        // A skipped window's cells are all certain: the merge would keep every value it holds.
                        using (fused)
                        {
                            var merged = PredictAndPerturb.Merge(inputs[w]!, fused, window.X0!, window.Next!, window.Certain!, s, sNext, Refinement.Tau, Refinement.P);
                            window.EndStep();
                            (window.X0, window.Next, window.Certain) = merged;
                        }
                    }
                    long[] counts = PredictAndPerturb.CertainCounts(window.Certain!, WindowFusion.FrameAxis, window.OwnedFrom - window.Window.Start, window.OwnedCount);
                    for (int b = 0; b < batch; b++)
                    {
                        certainCells[b] += counts[b];
                    }
                    ExchangedCounts += batch;
                }
                double[] sampleFractions = certainCells.Select(n => n / (double)_cellsPerSample).ToArray();
                fractions.Add(sampleFractions.Average());
                for (int b = 0; b < batch; b++)
                {
                    if (!settled[b] && sampleFractions[b] > Refinement.CertainFraction)
                    {
                        settled[b] = true;
                        foreach (ResidentWindow window in _windows)
                        {
                            PredictAndPerturb.Settle(window.Certain!, b);
                        }
                    }
                }
                DisposeAll(inputs);
            }

            foreach (ResidentWindow window in _windows)
            {
                window.Latent.Dispose();
                window.Latent = window.Next!;
                window.Next = null;
            }
            return new StepReport(step, s, sNext, predictions, evaluations, skippedEvaluations, planned, planned - (iteration - 1), fractions, refineEvaluations);
        }
        finally
        {
            DisposeAll(inputs);
            foreach (ResidentWindow window in _windows)
            {
                window.EndStep();
            }
        }
    }

    /// <summary>Runs steps <paramref name="firstStep"/>..N-1 and returns their reports.</summary>
    public async Task<IReadOnlyList<StepReport>> SampleAsync(int firstStep = 0, Action<StepReport>? onStep = null, CancellationToken cancellationToken = default)
    {
        var reports = new List<StepReport>(Schedule.Steps - firstStep);
        for (int step = firstStep; step < Schedule.Steps; step++)
        {
            StepReport report = await StepAsync(step, cancellationToken).ConfigureAwait(false);
            reports.Add(report);
            onStep?.Invoke(report);
        }
        return reports;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ResidentWindow window in _windows)
        {
            window.Dispose();
        }
        lock (_slices)
        {
            _slices.ForEach(s => s.Clean.Dispose());
        }
    }

    private readonly record struct Round(Tensor?[] Fused, int Evaluations, int Skipped);

    /// <summary>
    /// One prediction on every window not skipped: evaluate its input, pass the velocities over shared frames to the
    /// windows that share them, fuse each window's frames there, and hold given frames exact.
    /// </summary>
    private async Task<Round> RoundAsync(Tensor[] inputs, bool[] skip, StepContext context, CancellationToken cancellationToken)
    {
        var tasks = new Task<Prediction>?[_windows.Length];
        var halos = new Dictionary<(int Window, int From), Tensor>();
        var fused = new Tensor?[_windows.Length];
        try
        {
            foreach (ResidentWindow window in _windows)
            {
                int w = window.Window.Index;
                if (!skip[w])
                {
                    tasks[w] = _evaluator.EvaluateAsync(window.Window, inputs[w], context with { CertainCells = context.Iteration > 0 ? window.Certain : null }, cancellationToken);
                }
            }
            await Task.WhenAll(tasks.OfType<Task<Prediction>>()).ConfigureAwait(false);
            Prediction[] done = tasks.OfType<Task<Prediction>>().Select(t => t.Result).ToArray();
            if (done.Length > 0)
            {
                _evaluationsPerWindow = Math.Max(1, done[0].Evaluations);
            }

            // What travels: each evaluated window's velocity over each segment it shares, once per window that reads it.
            foreach (ResidentWindow window in _windows)
            {
                if (tasks[window.Window.Index] is not { } task)
                {
                    continue;
                }
                foreach ((int from, int count, int readers) in SharedSegments(window.Window, skip))
                {
                    halos[(window.Window.Index, from)] = TensorBlock.Run(() => task.Result.Velocity.narrow(WindowFusion.FrameAxis, from - window.Window.Start, count).contiguous().clone());
                    ExchangedValues += readers * halos[(window.Window.Index, from)].numel();
                }
            }
            foreach (ResidentWindow window in _windows)
            {
                int w = window.Window.Index;
                if (tasks[w] is not { } own)
                {
                    continue;
                }
                Tensor velocity = WindowFusion.FuseWindow(Plan, _weights, window.Window,
                    (other, from, count) => other.Index == w
                        ? own.Result.Velocity.narrow(WindowFusion.FrameAxis, from - window.Window.Start, count)
                        : halos.GetValueOrDefault((other.Index, from)),
                    inputs[w]);
                if (window.Given is { } given)
                {
                    Tensor mixed = velocity;
                    velocity = ConditionedFrames.Replace(inputs[w], mixed, given, window.FrameMask!, context.Sigma);
                    mixed.Dispose();
                }
                fused[w] = velocity;
            }
            int skipped = skip.Count(x => x);
            return new Round(fused, done.Sum(p => p.Evaluations), done.Sum(p => p.SkippedEvaluations) + skipped * _evaluationsPerWindow);
        }
        catch
        {
            DisposeAll(fused);
            throw;
        }
        finally
        {
            foreach (Tensor halo in halos.Values)
            {
                halo.Dispose();
            }
            foreach (Task<Prediction>? task in tasks)
            {
                if (task is { IsCompletedSuccessfully: true })
                {
                    task.Result.Dispose();
                }
            }
        }
    }

    /// <summary>The segments of <paramref name="window"/> that other windows also cover, with how many of those are evaluated this round.</summary>
    private IEnumerable<(int From, int Count, int Readers)> SharedSegments(TemporalWindow window, bool[] skip)
    {
        int[] edges = Plan.Windows.SelectMany(w => new[] { w.Start, w.End }).Where(e => e >= window.Start && e <= window.End).Distinct().Order().ToArray();
        for (int e = 0; e + 1 < edges.Length; e++)
        {
            int from = edges[e];
            int readers = Plan.Windows.Count(other => other.Index != window.Index && other.Contains(from) && !skip[other.Index]);
            if (Plan.Windows.Any(other => other.Index != window.Index && other.Contains(from)))
            {
                yield return (from, edges[e + 1] - from, readers);
            }
        }
    }

    private static Tensor Narrow(Tensor video, TemporalWindow window)
        => TensorBlock.Run(() => video.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous().clone());

    private static void DisposeAll(Tensor?[] tensors)
    {
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i]?.Dispose();
            tensors[i] = null;
        }
    }
}
