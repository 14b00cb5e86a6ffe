using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// One window of a resident co-denoise, where it is evaluated: it holds the window's slice of the latent and, within a
/// step, of the P&amp;P state, and runs each round of <see cref="ResidentRoundOrder"/> on it: its input (the latent,
/// or x0 perturbed with the whole video's noise narrowed to the window), the model's velocity, the velocity over
/// shared frames sent to the neighbours that read it and theirs received, its frames fused
/// (<see cref="WindowFusion.FuseWindow"/>), given frames held exact, then the Euler step or the masked merge. The
/// arithmetic is the whole-latent sampler's narrowed to the window, so the bits are the same.
/// </summary>
public sealed class ResidentWindowWorker : IResidentWindow, IDisposable
{
    private readonly WindowPlan _plan;
    private readonly double[][] _weights;
    private readonly FlowSchedule _schedule;
    private readonly RefinementOptions _refinement;
    private readonly ResidentNoise _noise;
    private readonly IHaloExchange _halos;
    private readonly Func<Tensor, StepContext, CancellationToken, Task<Prediction>> _evaluate;
    private readonly ResidentWindow _state;
    private readonly object _latentLock = new();
    private readonly ScalarType _dtype;
    private readonly Device _device;
    private readonly ResidentRoundRunner _rounds;
    private readonly (int From, int Count, TemporalWindow[] Others)[] _shared;
    private int _stepsDone;
    private int _openStep = -1;

    /// <summary>A window starting after <paramref name="stepsDone"/> steps from <paramref name="latent"/>.</summary>
    /// <param name="plan">The job's windows.</param>
    /// <param name="blend">How overlapping windows' velocities are weighted.</param>
    /// <param name="schedule">The sigmas.</param>
    /// <param name="refinement">P&amp;P settings.</param>
    /// <param name="seeds">One seed per video of the batch.</param>
    /// <param name="window">This window.</param>
    /// <param name="latent">The window's slice of the latent after <paramref name="stepsDone"/> steps (<c>[B, C, L, ...]</c>, owned from here).</param>
    /// <param name="stepsDone">Steps done.</param>
    /// <param name="given">The window's slice of the given frames (clean values and which frames), or null.</param>
    /// <param name="noise">The job's P&amp;P noise, shared by its windows here.</param>
    /// <param name="halos">Where velocities over shared frames go and come from.</param>
    /// <param name="evaluate">The model's velocity for an input of the window (borrowed) at a step context.</param>
    public ResidentWindowWorker(
        WindowPlan plan, WindowBlend blend, FlowSchedule schedule, RefinementOptions refinement, IReadOnlyList<long> seeds, TemporalWindow window,
        Tensor latent, int stepsDone, FrameConditioning? given, ResidentNoise noise, IHaloExchange halos, Func<Tensor, StepContext, CancellationToken, Task<Prediction>> evaluate)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.dim() < 3 || latent.shape[0] != seeds.Count || latent.shape[WindowFusion.FrameAxis] != window.Length)
        {
            throw new ArgumentException($"window {window.Index}'s latent must be [B, C, L, ...] with B = {seeds.Count} and L = {window.Length}; got [{string.Join(", ", latent.shape)}].", nameof(latent));
        }
        _plan = plan;
        _weights = plan.Weights(blend);
        _schedule = schedule;
        _refinement = refinement;
        _noise = noise;
        _halos = halos;
        _evaluate = evaluate;
        _stepsDone = stepsDone;
        Tensor? clean = null, frameMask = null;
        if (given is { Any: true })
        {
            clean = given.Clean;
            long[] maskShape = Enumerable.Repeat(1L, (int)latent.dim()).ToArray();
            maskShape[WindowFusion.FrameAxis] = window.Length;
            frameMask = TensorBlock.Run(() => tensor(given.Given.ToArray(), device: latent.device).reshape(maskShape));
        }
        _state = new ResidentWindow(window, latent, OwnedFrom(plan, window), clean, frameMask);
        _rounds = new ResidentRoundRunner(window.Index, RoundHereAsync, _state.Dispose);
        (_dtype, _device) = (latent.dtype, latent.device);
        _shared = SharedSegments(plan, window);
    }

    /// <inheritdoc />
    public TemporalWindow Window => _state.Window;

    /// <summary>The window's latent at the current step (borrowed).</summary>
    public Tensor Latent => _state.Latent;

    /// <summary>
    /// The first frame <paramref name="window"/> answers for when the latent is gathered or cells are counted: its frames
    /// from there on are covered by no earlier window, so every frame is counted once.
    /// </summary>
    public static int OwnedFrom(WindowPlan plan, TemporalWindow window)
        => window.Index == 0 ? window.Start : Math.Min(window.End, Math.Max(window.Start, plan.Windows[window.Index - 1].End));

    /// <inheritdoc />
    /// <remarks>
    /// A round this window already started ahead (the previous order's <see cref="ResidentRoundOrder.Next"/>) is joined,
    /// not run again. <paramref name="order"/>'s own next round starts as soon as this one has updated the window, before
    /// the acknowledgements of its sends and the report: only its neighbours' velocities hold it back. A round started
    /// ahead runs until its window closes, whatever happens to the ask that joins it.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The window started another round ahead than the one asked for.</exception>
    public Task<ResidentRoundReport> RoundAsync(ResidentRoundOrder order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        return _rounds.AskAsync(order, cancellationToken);
    }

    /// <summary>Completes once the window is closed and no round is inside it any more (a round begun ahead included).</summary>
    public Task Drained => _rounds.Drained;

    private async Task<ResidentRoundReport> RoundHereAsync(ResidentRoundOrder order, CancellationToken cancellationToken)
    {
        int w = Window.Index;
        int step = order.Step;
        double s = _schedule.Sigma(step), sNext = _schedule.NextSigma(step);
        var context = new StepContext(step, s, sNext, order.Iteration) { Timestep = _schedule.Timestep(step) };
        Tensor input;
        bool ownsInput = false;
        if (order.Iteration == 0)
        {
            EndOpenStep(step);
            if (_stepsDone != step)
            {
                throw new InvalidOperationException($"window {w} is after {_stepsDone} steps; asked for step {step}.");
            }
            input = _state.Latent;
        }
        else
        {
            if (_openStep != step || _state.Certain is null)
            {
                throw new InvalidOperationException($"window {w} has no refinement state for step {step} (open step: {_openStep}).");
            }
            for (int b = 0; b < order.Settled.Length; b++)
            {
                if (order.Settled[b])
                {
                    PredictAndPerturb.Settle(_state.Certain, b);
                }
            }
            if (order.Skips(w))
            {
                // A skipped window's cells are all certain: the merge would keep every value it holds.
                ResidentRoundReport skippedReport = Report(order, evaluations: 0, skippedEvaluations: 0, skipped: true, sent: 0);
                _rounds.Updated();
                return skippedReport;
            }
            // The whole video's noise for (seed, step, iteration), this window's frames of it.
            using (Tensor eps = await _noise.WindowAsync(step, order.Iteration, Window, _dtype, _device).ConfigureAwait(false))
            {
                input = PredictAndPerturb.Perturb(_state.X0!, eps, s);
            }
            ownsInput = true;
        }
        if (order.Iteration < order.Planned)
        {
            // The next refinement round's noise is drawn while this round's prediction is out (the whole video's, so it
            // costs as much as the latent is long): off the round's critical path whenever a core is free.
            _noise.DrawAhead(step, order.Iteration + 1);
        }

        var received = new Dictionary<(int Window, int From), Tensor>();
        try
        {
            using Prediction prediction = await _evaluate(input, context with { CertainCells = order.Iteration > 0 ? _state.Certain : null }, cancellationToken).ConfigureAwait(false);
            (long sent, Task acknowledged) = SendShared(order, prediction.Velocity, cancellationToken);
            ResidentRoundRunner.Observe(acknowledged); // even when the round fails before it waits for them
            foreach ((int from, _, TemporalWindow[] others) in _shared)
            {
                foreach (TemporalWindow other in others.Where(o => !order.Skips(o.Index)))
                {
                    received[(other.Index, from)] = await _halos.ReceiveAsync(new HaloKey(w, step, order.Iteration, other.Index, from), cancellationToken).ConfigureAwait(false);
                }
            }
            using Tensor fused = Fuse(prediction.Velocity, received, input, s);
            if (order.Iteration == 0)
            {
                _state.EndStep();
                (_state.X0, _state.Next) = TensorBlock.Run(() => PredictAndPerturb.Euler(_state.Latent, fused, s, sNext));
                if (order.Planned > 0)
                {
                    long[] cellShape = (long[])_state.Latent.shape.Clone();
                    cellShape[1] = 1;
                    _state.Certain = TensorBlock.Run(() => zeros(cellShape, ScalarType.Bool, _state.Latent.device));
                }
                _openStep = step;
            }
            else
            {
                var merged = PredictAndPerturb.Merge(input, fused, _state.X0!, _state.Next!, _state.Certain!, s, sNext, _refinement.Tau, _refinement.P);
                _state.EndStep();
                (_state.X0, _state.Next, _state.Certain) = merged;
            }
            ResidentRoundReport report = Report(order, prediction.Evaluations, prediction.SkippedEvaluations, skipped: false, sent);
            _rounds.Updated();
            // A send that failed fails the round (its reader would wait for ever): the coordinator then ends the others.
            await acknowledged.ConfigureAwait(false);
            return report;
        }
        finally
        {
            foreach (Tensor part in received.Values)
            {
                part.Dispose();
            }
            if (ownsInput)
            {
                input.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public Task<Tensor> OwnedFramesAsync(int stepsDone, CancellationToken cancellationToken)
    {
        // May run beside the next step's rounds (a checkpoint gathered behind them): they read the latent and replace it
        // only when the step after begins, under the same lock.
        _rounds.Enter();
        try
        {
            lock (_latentLock)
            {
                EndOpenStep(stepsDone);
                Tensor latent = stepsDone == _stepsDone ? _state.Latent
                    : stepsDone == _stepsDone - 1 && _state.Previous is { } previous ? previous
                    : throw new InvalidOperationException($"window {Window.Index} is after {_stepsDone} steps; asked for its latent after {stepsDone}.");
                int ownedFrom = _state.OwnedFrom;
                return Task.FromResult(TensorBlock.Run(() => latent.narrow(WindowFusion.FrameAxis, ownedFrom - Window.Start, _state.OwnedCount).contiguous().clone()));
            }
        }
        finally
        {
            _rounds.Leave();
        }
    }

    /// <summary>
    /// The segments <c>[from, from + count)</c> of <paramref name="window"/> between the plan's window edges that other
    /// windows also cover, with those windows: what the window sends each round and what it receives.
    /// </summary>
    private static (int From, int Count, TemporalWindow[] Others)[] SharedSegments(WindowPlan plan, TemporalWindow window)
    {
        int[] edges = plan.Edges(window.Start, window.End);
        return edges.Zip(edges.Skip(1), (from, to) => (From: from, Count: to - from, Others: plan.Windows.Where(o => o.Index != window.Index && o.Contains(from)).ToArray()))
            .Where(segment => segment.Others.Length > 0)
            .ToArray();
    }

    /// <summary>
    /// Sends the velocity over each shared segment to every window that covers it and evaluates this round (each part
    /// encoded or copied before this returns); the values sent, and the sends' acknowledgement.
    /// </summary>
    private (long Sent, Task Acknowledged) SendShared(ResidentRoundOrder order, Tensor velocity, CancellationToken cancellationToken)
    {
        long sent = 0;
        var sends = new List<Task>();
        var parts = new List<Tensor>();
        try
        {
            foreach ((int from, int count, TemporalWindow[] others) in _shared)
            {
                Tensor part = velocity.narrow(WindowFusion.FrameAxis, from - Window.Start, count);
                parts.Add(part);
                foreach (TemporalWindow reader in others.Where(o => !order.Skips(o.Index)))
                {
                    sends.Add(_halos.SendAsync(new HaloKey(reader.Index, order.Step, order.Iteration, Window.Index, from), part, cancellationToken));
                    sent += part.numel();
                }
            }
            return (sent, Task.WhenAll(sends));
        }
        catch
        {
            // A send that failed at once (a board closed under it): the ones already on their way are nobody's to report.
            ResidentRoundRunner.Observe(Task.WhenAll(sends));
            throw;
        }
        finally
        {
            parts.ForEach(p => p.Dispose());
        }
    }

    /// <summary>The window's fused velocity (owned by the caller), its given frames' velocity replaced.</summary>
    private Tensor Fuse(Tensor own, Dictionary<(int Window, int From), Tensor> received, Tensor input, double sigma)
    {
        int w = Window.Index;
        Tensor velocity = WindowFusion.FuseWindow(_plan, _weights, Window,
            (other, from, count) => other.Index == w
                ? own.narrow(WindowFusion.FrameAxis, from - Window.Start, count)
                : received.GetValueOrDefault((other.Index, from)),
            input);
        if (_state.Given is not { } given)
        {
            return velocity;
        }
        using (velocity)
        {
            return ConditionedFrames.Replace(input, velocity, given, _state.FrameMask!, sigma);
        }
    }

    private ResidentRoundReport Report(ResidentRoundOrder order, int evaluations, int skippedEvaluations, bool skipped, long sent)
    {
        if (order.Iteration == 0 || _state.Certain is not { } certain)
        {
            return new ResidentRoundReport([], [], evaluations, skippedEvaluations, skipped, sent);
        }
        long[] counts = PredictAndPerturb.CertainCounts(certain, WindowFusion.FrameAxis, _state.OwnedFrom - Window.Start, _state.OwnedCount);
        bool[] all = TensorBlock.Read(() =>
        {
            using Tensor perSample = certain.reshape(certain.shape[0], -1).all(1);
            return perSample.data<bool>().ToArray();
        });
        return new ResidentRoundReport(counts, all, evaluations, skippedEvaluations, skipped, sent);
    }

    /// <summary>Ends the step still open when step <paramref name="next"/> begins (or the latent after it is asked for): its Euler result becomes the latent.</summary>
    private void EndOpenStep(int next)
    {
        lock (_latentLock)
        {
            if (_openStep >= 0 && _openStep == next - 1 && _state.Next is { } result)
            {
                _state.Previous?.Dispose();
                _state.Previous = _state.Latent;
                _state.Latent = result;
                _state.Next = null;
                _state.EndStep();
                _stepsDone = next;
                _openStep = -1;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>A call still running on the window (a round cancelled by its coordinator but not yet out, or begun ahead) frees it when it leaves.</remarks>
    public void Dispose() => _rounds.Close();
}
