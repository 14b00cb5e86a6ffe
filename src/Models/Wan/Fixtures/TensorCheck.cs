using static TorchSharp.torch;

namespace Loom.Models.Wan.Fixtures;

/// <summary>One reproduced tensor against its reference: max abs and max relative difference, and the tolerance on max abs.</summary>
/// <param name="Name">The reference tensor's name (<c>output.y</c>, <c>debug.blocks.0</c>, <c>ids[3]</c>, ...).</param>
/// <param name="MaxAbs">max |actual - expected|; +inf when the shapes differ.</param>
/// <param name="MaxRel">max |actual - expected| / max(|expected|, 1e-6) over the elements.</param>
/// <param name="Tolerance">The bound on <see cref="MaxAbs"/> (0 for integer tensors: exact).</param>
/// <param name="Detail">Why it failed when that is not a number (a shape mismatch, differing ids), else empty.</param>
public sealed record TensorCheck(string Name, double MaxAbs, double MaxRel, double Tolerance, string Detail = "")
{
    /// <summary>max abs within the tolerance.</summary>
    public bool Pass => MaxAbs <= Tolerance;

    /// <summary>Compares in float64; a shape mismatch is a failure that says both shapes.</summary>
    public static TensorCheck Compare(string name, Tensor actual, Tensor expected, double tolerance)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
        {
            return new TensorCheck(name, double.PositiveInfinity, double.PositiveInfinity, tolerance,
                $"shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        }
        if (expected.numel() == 0)
        {
            return new TensorCheck(name, 0, 0, tolerance);
        }
        using var scope = NewDisposeScope();
        Tensor a = actual.detach().cpu().to(ScalarType.Float64);
        Tensor e = expected.detach().cpu().to(ScalarType.Float64);
        Tensor diff = (a - e).abs();
        double maxAbs = diff.max().item<double>();
        double maxRel = (diff / e.abs().clamp_min(1e-6)).max().item<double>();
        if (double.IsNaN(maxAbs))
        {
            maxAbs = maxRel = double.PositiveInfinity;
        }
        return new TensorCheck(name, maxAbs, maxRel, tolerance);
    }
}
