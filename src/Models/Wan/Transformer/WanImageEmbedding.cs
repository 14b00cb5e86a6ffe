using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The official <c>MLPProj</c> (<c>img_emb</c>) of Wan2.1 I2V: CLIP image tokens through LayerNorm, Linear, exact GELU,
/// Linear, LayerNorm (eps 1e-5, affine, float32) to the model width. Names <c>proj.0</c>, <c>proj.1</c>, <c>proj.3</c>, <c>proj.4</c>.
/// </summary>
public sealed class WanImageEmbedding : nn.Module<Tensor, Tensor>
{
    private const double Eps = 1e-5;

    private readonly Sequential proj;

    /// <summary>From <paramref name="imageDim"/> (CLIP width) to <paramref name="dim"/>.</summary>
    public WanImageEmbedding(int imageDim, int dim, ScalarType dtype)
        : base(nameof(WanImageEmbedding))
    {
        proj = nn.Sequential(
            ("0", new WanLayerNorm(imageDim, Eps, affine: true)),
            ("1", new WanLinear(imageDim, imageDim, dtype)),
            ("2", nn.GELU()),
            ("3", new WanLinear(imageDim, dim, dtype)),
            ("4", new WanLayerNorm(dim, Eps, affine: true)));
        RegisterComponents();
    }

    /// <summary><c>[B, tokens, imageDim]</c> to <c>[B, tokens, dim]</c> float32.</summary>
    public override Tensor forward(Tensor x) => proj.forward(x);
}
