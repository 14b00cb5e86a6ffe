using TorchSharp;

namespace Loom.Sampling.Sampler;

/// <summary>A finished run: the clean latent (owned by the caller) and one report per step.</summary>
public sealed record SampleResult(torch.Tensor Latent, IReadOnlyList<StepReport> Steps) : IDisposable
{
    /// <summary>Velocity predictions over the run.</summary>
    public int Predictions => Steps.Sum(s => s.Predictions);

    /// <summary>Model forward passes over the run (the NFE).</summary>
    public int Evaluations => Steps.Sum(s => s.Evaluations);

    /// <summary>Forward passes skipped by uncertainty-aware window skipping.</summary>
    public int SkippedEvaluations => Steps.Sum(s => s.SkippedEvaluations);

    /// <inheritdoc />
    public void Dispose() => Latent.Dispose();
}
