using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// One Wan transformer block (official <c>WanAttentionBlock</c>). With <c>m = modulation + e0</c> (rows: shift, scale,
/// gate for self-attention, then for the FFN; float32), on the float32 residual stream x:
/// <code>
/// x = x + SelfAttn(LN(x) * (1 + m1) + m0) * m2
/// x = x + CrossAttn(norm3(x), context)
/// x = x + FFN(LN(x) * (1 + m4) + m3) * m5
/// </code>
/// </summary>
public sealed class WanAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly Parameter modulation;
    private readonly WanLayerNorm norm1;
    private readonly WanSelfAttention self_attn;
    private readonly WanLayerNorm? norm3;
    private readonly WanCrossAttention cross_attn;
    private readonly WanLayerNorm norm2;
    private readonly WanMlp ffn;

    /// <summary>A block for <paramref name="config"/>, matrices in <paramref name="dtype"/>, norms and modulation float32.</summary>
    public WanAttentionBlock(WanTransformerConfig config, ScalarType dtype)
        : base(nameof(WanAttentionBlock))
    {
        modulation = new Parameter(empty([1, 6, config.Dim], ScalarType.Float32), requires_grad: false);
        norm1 = new WanLayerNorm(config.Dim, config.Eps, affine: false);
        self_attn = new WanSelfAttention(config, dtype);
        norm3 = config.CrossAttnNorm ? new WanLayerNorm(config.Dim, config.Eps, affine: true) : null;
        cross_attn = new WanCrossAttention(config, dtype);
        norm2 = new WanLayerNorm(config.Dim, config.Eps, affine: false);
        ffn = new WanMlp(config.Dim, config.FfnDim, config.Dim, dtype, WanMlp.GeluTanh);
        RegisterComponents();
    }

    /// <summary>Not used: call <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("WanAttentionBlock needs its conditioning: call Forward.");

    /// <summary>
    /// The block on <paramref name="x"/> <c>[B, L, dim]</c> float32, with <paramref name="e0"/> <c>[B, 6, dim]</c>, the
    /// embedded text <c>[B, Lt, dim]</c> and image tokens (i2v with img_emb); returns the new float32 residual stream.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor e0, Tensor text, Tensor? image, WanRope rope, WanCapture? capture, string name)
    {
        using var scope = NewDisposeScope();
        Tensor[] m = (modulation + e0).chunk(6, 1); // [B, 1, dim] each, float32
        Tensor y = self_attn.Forward(Modulate(norm1.forward(x), m[0], m[1]), rope, capture, name + ".self_attn");
        capture?.Invoke(name + ".self_attn", y);
        x = x + y.to(ScalarType.Float32) * m[2];
        Tensor cross = cross_attn.Forward(norm3 is null ? x : norm3.forward(x), text, image);
        capture?.Invoke(name + ".cross_attn", cross);
        x = x + cross.to(ScalarType.Float32);
        y = ffn.forward(Modulate(norm2.forward(x), m[3], m[4]));
        x = x + y.to(ScalarType.Float32) * m[5];
        capture?.Invoke(name, x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary><c>x * (1 + scale) + shift</c>.</summary>
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x * (scale + 1) + shift;
}
