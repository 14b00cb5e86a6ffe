using TorchSharp;

namespace Loom.Sampling.Windows;

/// <summary>
/// Chained windows conditioned through the model instead of on held frames (Wan's image-to-video): called before
/// <paramref name="next"/> is sampled with the window before it and its sampled latent (borrowed), so the model's
/// condition for <paramref name="next"/> can be built from it. The next window's field is asked for after this returns.
/// </summary>
/// <param name="previous">The window just sampled.</param>
/// <param name="previousLatent">Its latent <c>[B, C, L, ...]</c> as it was sampled.</param>
/// <param name="next">The window to sample next.</param>
public delegate void WindowContinuation(TemporalWindow previous, torch.Tensor previousLatent, TemporalWindow next);
