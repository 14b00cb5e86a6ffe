using TorchSharp;

namespace Loom.Sampling.Sampler;

/// <summary>The latent after a step, owned by the caller, and the step's report.</summary>
public sealed record StepOutcome(torch.Tensor Latent, StepReport Report) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Latent.Dispose();
}
