using TorchSharp;

namespace Loom.Sampling.Windows;

/// <summary>
/// Clean latent frames a window is conditioned on (video-to-world): <see cref="Clean"/> is the window's
/// <c>[B, C, L, ...]</c> latent, meaningful at the frames flagged in <see cref="Given"/>. Borrowed by whoever receives it.
/// </summary>
public sealed record FrameConditioning(torch.Tensor Clean, IReadOnlyList<bool> Given)
{
    /// <summary>True when at least one frame is given.</summary>
    public bool Any => Given.Any(g => g);
}
