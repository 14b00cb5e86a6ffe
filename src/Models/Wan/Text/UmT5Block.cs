using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// One UMT5 encoder block: <c>x + attn(norm1(x), bias)</c> then <c>x + ffn(norm2(x))</c>, the bias being this block's
/// relative-position table with every masked key replaced by the dtype's minimum (the official <c>masked_fill_</c>).
/// </summary>
public sealed class UmT5Block : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly T5RmsNorm _norm1;
    private readonly UmT5Attention _attn;
    private readonly T5RmsNorm _norm2;
    private readonly UmT5FeedForward _ffn;
    private readonly UmT5RelativeBias _posEmbedding;

    /// <summary>A block of <paramref name="config"/>'s shape, its weights in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public UmT5Block(UmT5Config config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(UmT5Block))
    {
        _norm1 = new T5RmsNorm(config.Dim, config.Eps, dtype, device);
        _attn = new UmT5Attention(config.Dim, config.DimAttn, config.NumHeads, dtype, device);
        _norm2 = new T5RmsNorm(config.Dim, config.Eps, dtype, device);
        _ffn = new UmT5FeedForward(config.Dim, config.DimFfn, dtype, device);
        _posEmbedding = new UmT5RelativeBias(config.NumBuckets, config.NumHeads, config.MaxDistance, dtype, device);
        register_module("norm1", _norm1);
        register_module("attn", _attn);
        register_module("norm2", _norm2);
        register_module("ffn", _ffn);
        register_module("pos_embedding", _posEmbedding);
    }

    /// <summary><paramref name="x"/> [B, L, dim]; <paramref name="mask"/> [B, L], nonzero = valid key.</summary>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        Tensor bias = _posEmbedding.forward(l, l).to(x.dtype).expand(b, -1, -1, -1).clone();
        double minimum = x.dtype == ScalarType.BFloat16 ? -3.3895313892515355e38 : x.dtype == ScalarType.Float16 ? -65504.0 : float.MinValue;
        bias.masked_fill_(mask.view(b, 1, 1, l).eq(0), minimum);
        Tensor y = x + _attn.forward(_norm1.forward(x), bias);
        return (y + _ffn.forward(_norm2.forward(y))).MoveToOuterDisposeScope();
    }
}
