using Loom.Sampling.Fields;
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
    private readonly IResidentWindow[] _windows;
    private readonly long[] _seeds;
    private readonly long _cellsPerSample;
    private readonly HaloBoard? _board;
    private readonly ResidentNoise? _noise;
    private readonly List<FrameConditioning>? _slices;
    private int _evaluationsPerWindow = 1;

    /// <summary>In this process: every window a <see cref="ResidentWindowWorker"/>, evaluated by <paramref name="evaluator"/>, the shared frames passed through one board.</summary>
    internal ResidentCoDenoise(
        WindowPlan plan, IWindowEvaluator evaluator, FlowSchedule schedule, RefinementOptions refinement, WindowBlend blend, bool skipCertainWindows,
        IReadOnlyList<long> seeds, Tensor latent, int stepsDone, FrameConditioning? conditioning, List<FrameConditioning> slices)
        : this(plan, schedule, refinement, skipCertainWindows, seeds, latent.shape.Skip(2).Aggregate(1L, (a, b) => a * b), [])
    {
        _slices = slices;
        _board = new HaloBoard();
        long[] sampleShape = latent.shape[1..];
        _noise = new ResidentNoise(seeds, sampleShape);
        var windows = new List<IResidentWindow>(plan.Windows.Count);
        try
        {
            foreach (TemporalWindow window in plan.Windows)
            {
                FrameConditioning? given = WindowedSampler.Slice(conditioning, window);
                Tensor slice = Narrow(latent, window);
                try
                {
                    windows.Add(new ResidentWindowWorker(plan, blend, schedule, refinement, seeds, window, slice, stepsDone, given, _noise, _board,
                        (input, context, token) => evaluator.EvaluateAsync(window, input, context, token)));
                }
                catch
                {
                    slice.Dispose();
                    given?.Clean.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            windows.OfType<IDisposable>().ToList().ForEach(w => w.Dispose());
            _board.Dispose();
            _noise.Dispose();
            throw;
        }
        _windows = windows.ToArray();
    }

    /// <summary>
    /// Coordinates <paramref name="windows"/> (one per window of <paramref name="plan"/>, in plan order) that live
    /// elsewhere (on shards) after the same number of steps; disposing this disposes those that are <see cref="IDisposable"/>.
    /// </summary>
    /// <param name="plan">The windows.</param>
    /// <param name="schedule">The sigmas.</param>
    /// <param name="refinement">P&amp;P settings (the mask and the early exit are global across windows).</param>
    /// <param name="skipCertainWindows">Whether fully certain windows are skipped during refinement.</param>
    /// <param name="seeds">One seed per video.</param>
    /// <param name="cellsPerSample">Cells of one video's latent (frames x height x width): the denominator of the certain share.</param>
    /// <param name="windows">The windows.</param>
    public ResidentCoDenoise(
        WindowPlan plan, FlowSchedule schedule, RefinementOptions refinement, bool skipCertainWindows, IReadOnlyList<long> seeds, long cellsPerSample,
        IReadOnlyList<IResidentWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(windows);
        Plan = plan;
        Schedule = schedule;
        Refinement = refinement;
        SkipCertainWindows = skipCertainWindows;
        _seeds = seeds.ToArray();
        _cellsPerSample = cellsPerSample;
        _windows = windows.ToArray();
        if (_windows.Length > 0 && !_windows.Select(w => w.Window.Index).SequenceEqual(Enumerable.Range(0, plan.Windows.Count)))
        {
            throw new ArgumentException($"windows must be the plan's {plan.Windows.Count}, in order.", nameof(windows));
        }
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

    /// <summary>Window <paramref name="index"/>'s latent at the current step (borrowed), for windows in this process.</summary>
    public Tensor WindowLatent(int index) => ((ResidentWindowWorker)_windows[index]).Latent;

    /// <summary>The whole latent <c>[B, C, F, ...]</c> after <paramref name="stepsDone"/> steps, each frame taken from the first window that covers it (owned by the caller).</summary>
    public async Task<Tensor> GatherAsync(int stepsDone, CancellationToken cancellationToken = default)
    {
        var owners = _windows.Where(w => w.Window.End > ResidentWindowWorker.OwnedFrom(Plan, w.Window)).ToArray();
        Task<Tensor>[] gathers = owners.Select(w => w.OwnedFramesAsync(stepsDone, cancellationToken)).ToArray();
        Tensor[] parts;
        try
        {
            parts = await Task.WhenAll(gathers).ConfigureAwait(false);
        }
        catch
        {
            foreach (Task<Tensor> done in gathers.Where(t => t.IsCompletedSuccessfully))
            {
                done.Result.Dispose();
            }
            throw;
        }
        try
        {
            return TensorBlock.Run(() => cat(parts, WindowFusion.FrameAxis));
        }
        finally
        {
            foreach (Tensor part in parts)
            {
                part.Dispose();
            }
        }
    }

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
        var fractions = new List<double>(planned);
        int predictions = 0, evaluations = 0, refineEvaluations = 0, skippedEvaluations = 0;
        int batch = _seeds.Length;

        // What follows a round regardless of the reports rides on its order, for each window to start when done (a
        // stop in between closes the windows, which ends it): the first refinement, and the next step after the last.
        ResidentRoundOrder? nextStep = step + 1 < Schedule.Steps ? new ResidentRoundOrder(step + 1, 0, Refinement.Plan.ExtraAt(step + 1), [], []) : null;
        var first = new ResidentRoundOrder(step, 0, planned, [], [], planned > 0 ? new ResidentRoundOrder(step, 1, planned, [], []) : nextStep);
        ResidentRoundReport[] reports = await RoundAsync(first, cancellationToken).ConfigureAwait(false);
        predictions++;
        (int done, int skipped) = Tally(reports);
        evaluations += done;
        skippedEvaluations += skipped;

        var settled = new bool[batch];
        int iteration = 1;
        for (; iteration <= planned && !settled.All(x => x); iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A window is skipped when every cell of it is certain: its own mask's, or its sample settled.
            bool[] skip = reports.Select(r => SkipCertainWindows && r.AllCertain.Length == batch && Enumerable.Range(0, batch).All(b => settled[b] || r.AllCertain[b])).ToArray();
            reports = await RoundAsync(new ResidentRoundOrder(step, iteration, planned, skip, (bool[])settled.Clone(), iteration == planned ? nextStep : null), cancellationToken).ConfigureAwait(false);
            predictions++;
            (done, skipped) = Tally(reports);
            evaluations += done;
            refineEvaluations += done;
            skippedEvaluations += skipped;

            var certainCells = new long[batch];
            foreach (ResidentRoundReport report in reports)
            {
                for (int b = 0; b < batch; b++)
                {
                    certainCells[b] += report.CertainCells[b];
                }
                ExchangedCounts += batch;
            }
            double[] sampleFractions = certainCells.Select(n => n / (double)_cellsPerSample).ToArray();
            fractions.Add(sampleFractions.Average());
            for (int b = 0; b < batch; b++)
            {
                settled[b] |= sampleFractions[b] > Refinement.CertainFraction;
            }
        }
        return new StepReport(step, s, sNext, predictions, evaluations, skippedEvaluations, planned, planned - (iteration - 1), fractions, refineEvaluations);
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
    /// <remarks>
    /// A round a window began ahead may still be inside it (its field reading the given frames): what the windows in this
    /// process share (the fields' slices, the board, the noise) is freed once each has let its last round out, at once
    /// when none is running.
    /// </remarks>
    public void Dispose()
    {
        foreach (IResidentWindow window in _windows)
        {
            (window as IDisposable)?.Dispose();
        }
        Task.WhenAll(_windows.OfType<ResidentWindowWorker>().Select(w => w.Drained))
            .ContinueWith(_ => FreeShared(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void FreeShared()
    {
        _board?.Dispose();
        _noise?.Dispose();
        if (_slices is not null)
        {
            lock (_slices)
            {
                _slices.ForEach(s => s.Clean.Dispose());
            }
        }
    }

    /// <summary>
    /// One round on every window at once. When one fails, the others are cancelled (a window waiting for a failed
    /// neighbour's frames would wait for ever) and the first failure is thrown.
    /// </summary>
    private async Task<ResidentRoundReport[]> RoundAsync(ResidentRoundOrder order, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<ResidentRoundReport>[] rounds = _windows.Select(async w =>
        {
            try
            {
                return await w.RoundAsync(order, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(rounds).ConfigureAwait(false);
        }
        catch
        {
            // The first window's own failure, not the cancellations it caused in the others.
            Exception first = rounds.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException)
                ?? rounds.First(t => !t.IsCompletedSuccessfully).Exception?.InnerException ?? new OperationCanceledException(cancellationToken);
            _board?.DropBefore(order.Step, order.Iteration + 1);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        ResidentRoundReport[] reports = rounds.Select(t => t.Result).ToArray();
        ExchangedValues += reports.Sum(r => r.SentValues);
        return reports;
    }

    /// <summary>Forward passes run and skipped in a round (a skipped window counts the passes it would have cost).</summary>
    private (int Evaluations, int Skipped) Tally(ResidentRoundReport[] reports)
    {
        ResidentRoundReport? evaluated = reports.FirstOrDefault(r => !r.Skipped);
        if (evaluated is not null)
        {
            _evaluationsPerWindow = Math.Max(1, evaluated.Evaluations);
        }
        return (reports.Sum(r => r.Evaluations), reports.Sum(r => r.SkippedEvaluations) + reports.Count(r => r.Skipped) * _evaluationsPerWindow);
    }

    private static Tensor Narrow(Tensor video, TemporalWindow window)
        => TensorBlock.Run(() => video.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous().clone());
}
