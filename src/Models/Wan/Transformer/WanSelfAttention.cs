using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Self-attention of a Wan block (official <c>WanSelfAttention</c>): q, k, v with bias, RMS norm of q and k over the whole
/// width, 3D RoPE on q and k, softmax attention over all tokens with scale <c>1/sqrt(head_dim)</c>, output projection.
/// Projections and attention run in the compute dtype; norms and RoPE in float32.
/// </summary>
public sealed class WanSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly WanLinear q;
    private readonly WanLinear k;
    private readonly WanLinear v;
    private readonly WanLinear o;
    private readonly WanRmsNorm? norm_q;
    private readonly WanRmsNorm? norm_k;
    private readonly int _heads;
    private readonly ScalarType _dtype;

    /// <summary>The layer for <paramref name="config"/> with empty parameters in <paramref name="dtype"/>.</summary>
    public WanSelfAttention(WanTransformerConfig config, ScalarType dtype)
        : base(nameof(WanSelfAttention))
    {
        q = new WanLinear(config.Dim, config.Dim, dtype);
        k = new WanLinear(config.Dim, config.Dim, dtype);
        v = new WanLinear(config.Dim, config.Dim, dtype);
        o = new WanLinear(config.Dim, config.Dim, dtype);
        norm_q = config.QkNorm ? new WanRmsNorm(config.Dim, config.Eps) : null;
        norm_k = config.QkNorm ? new WanRmsNorm(config.Dim, config.Eps) : null;
        _heads = config.NumHeads;
        _dtype = dtype;
        RegisterComponents();
    }

    /// <summary>Not used: the layer needs the RoPE tables; call <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("WanSelfAttention needs its RoPE tables: call Forward.");

    /// <summary>Attends <paramref name="x"/> <c>[B, L, dim]</c> to itself; returns <c>[B, L, dim]</c> in the compute dtype.</summary>
    public Tensor Forward(Tensor x, WanRope rope, WanCapture? capture, string name)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        Tensor query = q.forward(x);
        Tensor key = k.forward(x);
        if (norm_q is not null && norm_k is not null)
        {
            query = norm_q.forward(query);
            key = norm_k.forward(key);
        }
        capture?.Invoke(name + ".norm_q", query);
        Tensor qRope = rope.Apply(query.reshape(b, l, _heads, -1));
        capture?.Invoke(name + ".q_rope", qRope);
        Tensor kRope = rope.Apply(key.reshape(b, l, _heads, -1));
        Tensor value = v.forward(x).reshape(b, l, _heads, -1);
        Tensor attended = WanAttention.Attend(qRope.to(_dtype), kRope.to(_dtype), value);
        return o.forward(attended).MoveToOuterDisposeScope();
    }
}
