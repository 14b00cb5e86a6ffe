using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Sampler;

/// <summary>
/// The elementwise arithmetic of one Predict-and-Perturb step (docs/architecture.md §2), shared by the sampler that
/// holds the whole latent and by the shard-resident co-denoise whose windows each hold a slice of it. Every operation
/// here is elementwise or reduces over channels only, so a window computing it on its slice gets the same bits as the
/// whole latent narrowed to that window.
/// </summary>
internal static class PredictAndPerturb
{
    /// <summary>
    /// <c>x0 = z - s v</c> and the Euler step <c>z + (s_next - s) v</c>. Scalars are held for the call: TorchSharp's
    /// implicit number-to-Scalar temporaries can be finalized while libtorch still reads them.
    /// </summary>
    public static (Tensor X0, Tensor Next) Euler(Tensor z, Tensor velocity, double s, double sNext)
    {
        using Scalar sigma = s.ToScalar(), delta = (sNext - s).ToScalar();
        return (HeldScalars.Sub(z, velocity.mul(sigma)), HeldScalars.Add(z, velocity.mul(delta)));
    }

    /// <summary>Back to noise level <paramref name="s"/> around <paramref name="x0"/>: <c>(1 - s) x0 + s eps</c>.</summary>
    public static Tensor Perturb(Tensor x0, Tensor eps, double s) => TensorBlock.Run(() =>
    {
        using Scalar keep = (1 - s).ToScalar(), noise = s.ToScalar();
        return x0.mul(keep).add_(eps.mul(noise));
    });

    /// <summary>
    /// Prediction k of a refined step: <c>x0' = z - s v'</c>, <c>next' = z + (s_next - s) v'</c>; cells whose
    /// uncertainty <c>u = (sum_c |x0' - x0|^p / C)^(1/p)</c> is below tau join the certain mask (which only grows
    /// within a step), and certain cells keep their previous x0 and next, the mask broadcast over channels.
    /// </summary>
    /// <returns>New tensors, detached from any dispose scope.</returns>
    public static (Tensor X0, Tensor Next, Tensor Certain) Merge(
        Tensor z, Tensor velocity, Tensor x0, Tensor next, Tensor certain, double s, double sNext, double tau, double p)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (x0New, nextNew) = Euler(z, velocity, s, sNext);
        Tensor change = HeldScalars.Sub(x0New, x0).abs();
        using Scalar power = p.ToScalar(), root = (1.0 / p).ToScalar(), threshold = tau.ToScalar();
        Tensor uncertainty = p == 1.0
            ? change.mean([1], keepdim: true)
            : change.pow(power).mean([1], keepdim: true).pow(root);
        Tensor mask = uncertainty.lt(threshold).logical_or(certain);
        Tensor nextMerged = where(mask, next, nextNew);
        Tensor x0Merged = where(mask, x0, x0New);
        return (x0Merged.DetachFromDisposeScope(), nextMerged.DetachFromDisposeScope(), mask.DetachFromDisposeScope());
    }

    /// <summary>
    /// Certain cells per sample of <paramref name="certain"/> (<c>[B, 1, ...]</c>), optionally only frames
    /// <c>[from, from + count)</c> of <paramref name="frameAxis"/>. Counts are exact, so shares summed over windows
    /// equal the share of the whole latent bit for bit.
    /// </summary>
    public static long[] CertainCounts(Tensor certain, int frameAxis = -1, long from = 0, long count = -1) => TensorBlock.Read(() =>
    {
        Tensor cells = frameAxis < 0 ? certain : certain.narrow(frameAxis, from, count);
        return cells.reshape(cells.shape[0], -1).sum([1], type: ScalarType.Int64).data<long>().ToArray();
    });

    /// <summary>Marks every cell of sample <paramref name="sample"/> certain (the sample settled: its remaining iterations change nothing).</summary>
    public static void Settle(Tensor certain, int sample)
    {
        using var noGrad = no_grad();
        using Tensor row = certain[sample];
        using Scalar yes = true.ToScalar();
        row.fill_(yes);
    }
}
