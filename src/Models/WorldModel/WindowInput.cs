using TorchSharp;

namespace Loom.Models.WorldModel;

/// <summary>
/// One window evaluation for the world model: the noisy latent <c>[b, 3, L, H, W]</c> at noise level
/// <see cref="Sigma"/>, the clean conditioning planes <c>[b or 1, 4, L, H, W]</c> (null: unconditional), and the
/// guidance scale (above 1: classifier-free guidance against the unconditional prediction). Tensors are borrowed.
/// </summary>
public sealed record WindowInput(torch.Tensor Latent, double Sigma, torch.Tensor? Conditioning, double Guidance)
{
    /// <summary>Forward passes per sample: 2 with guidance (conditional and unconditional), else 1.</summary>
    public int EvaluationsPerSample => Guidance > 1.0 ? 2 : 1;

    /// <summary>Rows this input adds to a batched forward pass.</summary>
    public long Rows => Latent.shape[0] * EvaluationsPerSample;
}
