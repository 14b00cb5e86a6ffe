namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// One Wan render: what to draw and how to sample it. Unset values take the model family's <see cref="WanDefaults"/>.
/// </summary>
/// <param name="Prompt">The text prompt (cleaned as the official pipeline cleans it before tokenising).</param>
/// <param name="Width">Video width in pixels, a multiple of 16 (the VAE's stride 8 times the patch 2).</param>
/// <param name="Height">Video height in pixels, a multiple of 16.</param>
/// <param name="Frames">Video frames, 4k + 1 (the VAE keeps the first frame and packs 4 per latent frame after).</param>
/// <param name="Seed">Seed of every noise tensor (<see cref="Sampling.Noise.DeterministicNoise"/>).</param>
/// <param name="NegativePrompt">The negative prompt; null takes the official one.</param>
/// <param name="Image">Image-to-video: the first frame, RGB bytes <c>[Height, Width, 3]</c>; null for text-to-video.</param>
/// <param name="Steps">Outer steps.</param>
/// <param name="Shift">Timestep shift.</param>
/// <param name="Guidance">Guidance scale, or two (high-noise expert first) for a two-expert model.</param>
/// <param name="Plan">P&amp;P plan, e.g. <c>2-5:3,6-13:1</c>; <c>none</c> for plain Euler.</param>
/// <param name="Tau">P&amp;P uncertainty threshold.</param>
/// <param name="WindowFrames">Long videos: pixel frames per temporal window, 4k + 1; null renders the video in one window.</param>
/// <param name="WindowOverlap">Latent frames neighbouring windows share.</param>
/// <param name="Join">
/// How windows join: co-denoised (default); independent (text-to-video); chained (image-to-video: each window continues
/// the one before through the image condition, <see cref="WanImageCondition.Continue"/>).
/// </param>
public sealed record WanRenderRequest(
    string Prompt,
    int Width,
    int Height,
    int Frames,
    long Seed,
    string? NegativePrompt = null,
    byte[]? Image = null,
    int? Steps = null,
    double? Shift = null,
    IReadOnlyList<double>? Guidance = null,
    string? Plan = null,
    double? Tau = null,
    int? WindowFrames = null,
    int WindowOverlap = 1,
    Sampling.Windows.WindowJoin Join = Sampling.Windows.WindowJoin.CoDenoise);
