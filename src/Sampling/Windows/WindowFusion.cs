using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// Joins per-window tensors into one video tensor along the frame axis with per-frame weights. Frames are
/// processed in segments between window edges; within a segment the windows' weighted slices are added in plan
/// order, the first one assigned (so one window with weight 1 reproduces its input bit for bit). A frame that no
/// supplied window covers is 0.
/// </summary>
public static class WindowFusion
{
    /// <summary>The latent axis of frames in <c>[B, C, F, ...]</c>.</summary>
    public const int FrameAxis = 2;

    /// <summary>Fuses <paramref name="parts"/> (one per window of <paramref name="plan"/>, null = skipped) with <paramref name="weights"/>.</summary>
    /// <param name="plan">The windows.</param>
    /// <param name="weights"><see cref="WindowPlan.Weights"/> of the plan.</param>
    /// <param name="parts">Each window's <c>[B, C, L, ...]</c> tensor, or null for a window with no contribution.</param>
    /// <param name="video">Any tensor of the whole video's shape, dtype and device (read for those only).</param>
    /// <returns>A new <c>[B, C, F, ...]</c> tensor, detached from any dispose scope.</returns>
    public static Tensor Fuse(WindowPlan plan, double[][] weights, IReadOnlyList<Tensor?> parts, Tensor video)
        => FuseFrames(plan, weights, (window, from, count) => parts[window.Index]?.narrow(FrameAxis, from - window.Start, count), video, 0, plan.Frames);

    /// <summary>
    /// The frames of <paramref name="target"/> of the fused video, computed from <paramref name="target"/>'s own
    /// <c>[B, C, L, ...]</c> part and its neighbours' parts over the frames they share with it only: the same segments,
    /// weights and order of additions as <see cref="Fuse"/>, so the result is <see cref="Fuse"/>'s output narrowed to
    /// the window, bit for bit.
    /// </summary>
    /// <param name="plan">The windows.</param>
    /// <param name="weights"><see cref="WindowPlan.Weights"/> of the plan.</param>
    /// <param name="target">The window whose frames are fused.</param>
    /// <param name="shared">
    /// For a window (the target included) and a segment <c>[from, from + count)</c> inside both, that window's part over
    /// the segment (<c>[B, C, count, ...]</c>), or null when the window made no contribution (skipped).
    /// </param>
    /// <param name="like">Any tensor of the target window's shape, dtype and device (read for those only).</param>
    /// <returns>A new <c>[B, C, L, ...]</c> tensor, detached from any dispose scope.</returns>
    public static Tensor FuseWindow(WindowPlan plan, double[][] weights, TemporalWindow target, Func<TemporalWindow, int, int, Tensor?> shared, Tensor like)
        => FuseFrames(plan, weights, shared, like, target.Start, target.End);

    /// <summary>
    /// Frames <c>[first, last)</c> of the fused video, in segments between window edges; within a segment the windows'
    /// weighted slices are added in plan order, the first one assigned.
    /// </summary>
    private static Tensor FuseFrames(WindowPlan plan, double[][] weights, Func<TemporalWindow, int, int, Tensor?> partOver, Tensor like, int first, int last)
    {
        int[] edges = plan.Edges(first, last);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var segments = new List<Tensor>(edges.Length - 1);
        for (int e = 0; e + 1 < edges.Length; e++)
        {
            int from = edges[e], to = edges[e + 1];
            Tensor? sum = null;
            foreach (TemporalWindow window in plan.Windows)
            {
                if (!window.Contains(from) || partOver(window, from, to - from) is not { } part)
                {
                    continue;
                }
                Tensor weighted = part * WeightTensor(weights[window.Index], from - window.Start, to - from, like);
                sum = sum is null ? weighted : HeldScalars.Add(sum, weighted);
            }
            if (sum is null)
            {
                long[] shape = (long[])like.shape.Clone();
                shape[FrameAxis] = to - from;
                sum = zeros(shape, like.dtype, like.device);
            }
            segments.Add(sum);
        }
        return cat(segments, FrameAxis).DetachFromDisposeScope();
    }

    private static Tensor WeightTensor(double[] weights, int offset, int count, Tensor like)
    {
        long[] shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[FrameAxis] = count;
        double[] values = weights.Skip(offset).Take(count).ToArray();
        return tensor(values, ScalarType.Float64).to(like.dtype, like.device).reshape(shape);
    }
}
