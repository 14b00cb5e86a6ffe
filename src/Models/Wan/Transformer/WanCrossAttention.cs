using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Cross-attention of a Wan block to the text tokens (official <c>WanT2VCrossAttention</c>), and with image keys
/// (<c>WanI2VCrossAttention</c>: <c>k_img</c>, <c>v_img</c>, <c>norm_k_img</c>) when the model has CLIP image tokens:
/// the same queries attend to the image and the text tokens separately and the two results are summed before
/// <c>o</c>. No RoPE, no mask: every context row is attended.
/// </summary>
public sealed class WanCrossAttention : nn.Module<Tensor, Tensor>
{
    private readonly WanLinear q;
    private readonly WanLinear k;
    private readonly WanLinear v;
    private readonly WanLinear o;
    private readonly WanRmsNorm? norm_q;
    private readonly WanRmsNorm? norm_k;
    private readonly WanLinear? k_img;
    private readonly WanLinear? v_img;
    private readonly WanRmsNorm? norm_k_img;
    private readonly int _heads;
    private readonly ScalarType _dtype;

    /// <summary>The layer for <paramref name="config"/> (image keys when it has <see cref="WanTransformerConfig.ImageDim"/>).</summary>
    public WanCrossAttention(WanTransformerConfig config, ScalarType dtype)
        : base(nameof(WanCrossAttention))
    {
        q = new WanLinear(config.Dim, config.Dim, dtype);
        k = new WanLinear(config.Dim, config.Dim, dtype);
        v = new WanLinear(config.Dim, config.Dim, dtype);
        o = new WanLinear(config.Dim, config.Dim, dtype);
        norm_q = config.QkNorm ? new WanRmsNorm(config.Dim, config.Eps) : null;
        norm_k = config.QkNorm ? new WanRmsNorm(config.Dim, config.Eps) : null;
        if (config.ImageDim is not null)
        {
            k_img = new WanLinear(config.Dim, config.Dim, dtype);
            v_img = new WanLinear(config.Dim, config.Dim, dtype);
            norm_k_img = config.QkNorm ? new WanRmsNorm(config.Dim, config.Eps) : null;
        }
        _heads = config.NumHeads;
        _dtype = dtype;
        RegisterComponents();
    }

    /// <summary>Not used: call <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("WanCrossAttention needs its context: call Forward.");

    /// <summary>
    /// Attends <paramref name="x"/> <c>[B, L, dim]</c> to <paramref name="text"/> <c>[B, Lt, dim]</c> and, for an image
    /// model, <paramref name="image"/> <c>[B, Li, dim]</c>; returns <c>[B, L, dim]</c> in the compute dtype.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor text, Tensor? image)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        Tensor query = Normed(norm_q, q.forward(x));
        Tensor heads = query.to(_dtype).reshape(b, l, _heads, -1);
        Tensor attended = Attend(heads, Normed(norm_k, k.forward(text)), v.forward(text));
        if (k_img is not null && v_img is not null)
        {
            if (image is null)
            {
                throw new ArgumentException("this model has image cross-attention (img_emb): CLIP image tokens are required.", nameof(image));
            }
            attended = attended + Attend(heads, Normed(norm_k_img, k_img.forward(image)), v_img.forward(image));
        }
        return o.forward(attended).MoveToOuterDisposeScope();
    }

    private Tensor Attend(Tensor heads, Tensor key, Tensor value)
    {
        long b = key.shape[0], l = key.shape[1];
        return WanAttention.Attend(heads, key.to(_dtype).reshape(b, l, _heads, -1), value.reshape(b, l, _heads, -1));
    }

    private static Tensor Normed(WanRmsNorm? norm, Tensor x) => norm is null ? x : norm.forward(x);
}
