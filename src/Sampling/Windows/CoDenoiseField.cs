using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// Co-denoising: each prediction is made per window (concurrently, through an <see cref="IWindowEvaluator"/>) and the
/// window velocities are fused per frame. The sampler on top sees one velocity field over the whole video, so its
/// noise, uncertainty mask and checkpoints stay global. During refinement a window all of whose cells are already
/// certain is not evaluated: its cells keep their previous values whatever it would return, so the output is the same.
/// </summary>
public sealed class CoDenoiseField : IVelocityField
{
    private readonly IWindowEvaluator _evaluator;
    private readonly double[][] _weights;
    private int _evaluationsPerWindow = 1;

    /// <summary>Evaluates <paramref name="plan"/>'s windows with <paramref name="evaluator"/> and fuses them with <paramref name="blend"/> weights.</summary>
    public CoDenoiseField(WindowPlan plan, IWindowEvaluator evaluator, WindowBlend blend = WindowBlend.Linear, bool skipCertainWindows = true)
    {
        Plan = plan;
        Blend = blend;
        SkipCertainWindows = skipCertainWindows;
        _evaluator = evaluator;
        _weights = plan.Weights(blend);
    }

    /// <summary>The windows.</summary>
    public WindowPlan Plan { get; }

    /// <summary>How window velocities are weighted per frame.</summary>
    public WindowBlend Blend { get; }

    /// <summary>Whether fully certain windows are skipped during refinement.</summary>
    public bool SkipCertainWindows { get; }

    /// <inheritdoc />
    /// <remarks><see cref="Prediction.SkippedEvaluations"/> counts skipped windows times the forward passes a window costs.</remarks>
    public async Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        if (z.dim() < 3 || z.shape[WindowFusion.FrameAxis] != Plan.Frames)
        {
            throw new ArgumentException($"latent must be [B, C, F, ...] with F = {Plan.Frames}; got [{string.Join(", ", z.shape)}].", nameof(z));
        }

        IReadOnlyList<TemporalWindow> windows = Plan.Windows;
        var slices = new Tensor?[windows.Count];
        var tasks = new Task<Prediction>?[windows.Count];
        try
        {
            for (int w = 0; w < windows.Count; w++)
            {
                TemporalWindow window = windows[w];
                if (IsCertain(context.CertainCells, window))
                {
                    continue;
                }
                slices[w] = TensorBlock.Run(() => z.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous().clone());
                tasks[w] = _evaluator.EvaluateAsync(window, slices[w]!, context, cancellationToken);
            }
            await Task.WhenAll(tasks.OfType<Task<Prediction>>()).ConfigureAwait(false);

            Prediction[] done = tasks.OfType<Task<Prediction>>().Select(t => t.Result).ToArray();
            int evaluations = done.Sum(p => p.Evaluations);
            if (done.Length > 0)
            {
                _evaluationsPerWindow = Math.Max(1, done[0].Evaluations);
            }
            int skippedWindows = windows.Count - done.Length;
            Tensor fused = WindowFusion.Fuse(Plan, _weights, tasks.Select(t => t?.Result.Velocity).ToArray(), z);
            return new Prediction(fused, evaluations, done.Sum(p => p.SkippedEvaluations) + skippedWindows * _evaluationsPerWindow);
        }
        finally
        {
            foreach (Tensor? slice in slices)
            {
                slice?.Dispose();
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

    private bool IsCertain(Tensor? certainCells, TemporalWindow window)
    {
        if (!SkipCertainWindows || certainCells is null)
        {
            return false;
        }
        return TensorBlock.Read(() => certainCells.narrow(WindowFusion.FrameAxis, window.Start, window.Length).all().item<bool>());
    }
}
