namespace Loom.Models.Serving;

/// <summary>
/// The latent a model works on, <c>[b, Channels, F, H, W]</c>: how many latent cells a patch spans on each axis, how many
/// pixels (frames, rows, columns) one latent cell stands for, and the fixed frame size and longest window when the model
/// has them.
/// </summary>
/// <param name="Channels">Latent channels (3 for a pixel-space model, 16 for Wan2.1's VAE).</param>
/// <param name="Patch">Latent cells per token on (F, H, W); latent sizes must be multiples.</param>
/// <param name="Stride">Pixel frames, rows and columns per latent cell ((1, 1, 1) in pixel space; Wan: (4, 8, 8), frames 4k + 1).</param>
/// <param name="Height">The only frame height in pixels the model renders; null for any multiple of <see cref="PixelMultiple"/>.</param>
/// <param name="Width">The only frame width in pixels; null for any.</param>
/// <param name="MaxFrames">The longest window in latent frames (a position table's length); null when unbounded.</param>
public sealed record LatentLayout(int Channels, int[] Patch, int[] Stride, int? Height, int? Width, int? MaxFrames)
{
    /// <summary>Frame sizes in pixels must be multiples of this (stride times patch, spatially).</summary>
    public int PixelMultiple => Math.Max(Stride[1] * Patch[1], Stride[2] * Patch[2]);

    /// <summary>True when the model renders one frame size only.</summary>
    public bool FixedSize => Height is not null && Width is not null;
}
