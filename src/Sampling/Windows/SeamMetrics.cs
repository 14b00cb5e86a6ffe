using Loom.Sampling.Fields;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// How visible the joins between windows are in a sampled video <c>[B, C, F, ...]</c>. A join between windows k and
/// k+1 is the run of frame transitions <c>t -&gt; t+1</c> from the frame before window k+1 starts to the first frame
/// after window k ends, so it covers the whole overlap and both of its edges.
/// </summary>
public static class SeamMetrics
{
    /// <summary>For each join, the transitions t (from frame t to t + 1) that cross it.</summary>
    public static IReadOnlyList<int[]> JoinTransitions(WindowPlan plan)
    {
        var joins = new List<int[]>();
        for (int k = 0; k + 1 < plan.Windows.Count; k++)
        {
            int first = Math.Max(0, plan.Windows[k + 1].Start - 1);
            int last = Math.Min(plan.Frames - 2, plan.Windows[k].End - 1);
            joins.Add(Enumerable.Range(first, last - first + 1).ToArray());
        }
        return joins;
    }

    /// <summary>Mean absolute change <c>|x_{t+1} - x_t|</c> for each transition t, over batch, channels and cells.</summary>
    public static double[] FrameChange(Tensor video) => TensorBlock.Read(() =>
    {
        Tensor x = video.to(ScalarType.Float64).movedim([WindowFusion.FrameAxis], [0]).reshape(video.shape[WindowFusion.FrameAxis], -1);
        return (x[1..] - x[..^1]).abs().mean([1]).data<double>().ToArray();
    });

    /// <summary>
    /// Mean frame change across joins over the mean change elsewhere, minus 1: 0 when joins are invisible, &gt; 0 when
    /// the video jumps there, &lt; 0 when it goes unnaturally still (as cross-faded independent samples do). 0 with one window.
    /// </summary>
    public static double SeamExcess(Tensor video, WindowPlan plan)
    {
        double[] change = FrameChange(video);
        var atJoins = JoinTransitions(plan).SelectMany(j => j).ToHashSet();
        double[] join = change.Where((_, t) => atJoins.Contains(t)).ToArray();
        double[] inside = change.Where((_, t) => !atJoins.Contains(t)).ToArray();
        return join.Length == 0 || inside.Length == 0 ? 0.0 : join.Average() / inside.Average() - 1.0;
    }

    /// <summary>
    /// Lag-1 correlation of each transition, estimated over batch, channels and cells for a zero-mean process:
    /// <c>sum x_t x_{t+1} / sqrt(sum x_t^2 sum x_{t+1}^2)</c>.
    /// </summary>
    public static double[] Lag1Correlation(Tensor video) => TensorBlock.Read(() =>
    {
        Tensor x = video.to(ScalarType.Float64).movedim([WindowFusion.FrameAxis], [0]).reshape(video.shape[WindowFusion.FrameAxis], -1);
        Tensor a = x[..^1], b = x[1..];
        return ((a * b).sum([1]) / (a.square().sum([1]) * b.square().sum([1])).sqrt()).data<double>().ToArray();
    });

    /// <summary>For each join, the worst <c>|corr(x_t, x_{t+1}) - trueCorrelation|</c> over the transitions crossing it.</summary>
    public static double[] JoinCorrelationErrors(Tensor video, WindowPlan plan, double trueCorrelation)
    {
        double[] correlation = Lag1Correlation(video);
        return JoinTransitions(plan).Select(join => join.Max(t => Math.Abs(correlation[t] - trueCorrelation))).ToArray();
    }
}
