using Loom.Sampling.Sampler;
using TorchSharp;

namespace Loom.Sampling.Windows;

/// <summary>A long video sampled through windows: the clean latent (owned by the caller) and what it cost.</summary>
/// <param name="Latent">The fused <c>[B, C, F, ...]</c> latent.</param>
/// <param name="Join">How the windows were joined.</param>
/// <param name="Steps">Co-denoise: the global sampler's step reports. Independent and chained: every window's, in window order.</param>
public sealed record WindowedResult(torch.Tensor Latent, WindowJoin Join, IReadOnlyList<StepReport> Steps) : IDisposable
{
    /// <summary>Model forward passes (window evaluations).</summary>
    public int Evaluations => Steps.Sum(s => s.Evaluations);

    /// <summary>Window evaluations skipped because all their cells were certain.</summary>
    public int SkippedEvaluations => Steps.Sum(s => s.SkippedEvaluations);

    /// <inheritdoc />
    public void Dispose() => Latent.Dispose();
}
