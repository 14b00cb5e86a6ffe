namespace Loom.Models.Wan.Tiny;

/// <summary>
/// The widths of a random-weight Wan model written by <see cref="WanTinyModel"/>: small enough that a whole job runs in
/// seconds on a CPU, with every official module present (patch embedding, time and text MLPs, blocks with RoPE, q/k
/// norms and cross-attention, head; the full causal VAE; a UMT5 encoder with relative position buckets).
/// </summary>
/// <param name="Dim">Transformer hidden width.</param>
/// <param name="FfnDim">Transformer feed-forward width.</param>
/// <param name="Heads">Attention heads (head width = Dim / Heads, even and at least 6).</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="FreqDim">Width of the timestep sinusoid.</param>
/// <param name="VaeDim">VAE base width (official: 96); the VAE keeps the official depth, strides and z_dim 16.</param>
/// <param name="TextDim">UMT5 width, which is also the transformer's text_dim.</param>
/// <param name="TextHeads">UMT5 heads.</param>
/// <param name="TextLayers">UMT5 blocks.</param>
/// <param name="TextFfnDim">UMT5 gated feed-forward width.</param>
public sealed record WanTinyShape(
    int Dim = 32,
    int FfnDim = 64,
    int Heads = 2,
    int Layers = 2,
    int FreqDim = 16,
    int VaeDim = 4,
    int TextDim = 32,
    int TextHeads = 2,
    int TextLayers = 2,
    int TextFfnDim = 64)
{
    /// <summary>The default tiny shape (a t2v job of 17 frames at 32x32 runs in about a second on 2 cores).</summary>
    public static WanTinyShape Tiny { get; } = new();

    /// <summary>Wan2.1 1.3B's transformer width (dim 1536, 12 heads, ffn 8960) with <paramref name="layers"/> blocks; the rest tiny.</summary>
    public static WanTinyShape Wide1_3B(int layers = 2) => new(Dim: 1536, FfnDim: 8960, Heads: 12, Layers: layers, FreqDim: 256);
}
