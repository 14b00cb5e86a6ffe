using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The official <c>Head</c>: modulated by the time embedding <c>e</c> itself (not <c>e0</c>),
/// <c>head(LN(x) * (1 + m1) + m0)</c> with <c>m = modulation [1, 2, dim] + e</c>; one row of <c>pt*ph*pw*out_dim</c> per token.
/// </summary>
public sealed class WanHead : nn.Module<Tensor, Tensor>
{
    private readonly WanLayerNorm norm;
    private readonly WanLinear head;
    private readonly Parameter modulation;

    /// <summary>The head of <paramref name="config"/>, its matrix in <paramref name="dtype"/>.</summary>
    public WanHead(WanTransformerConfig config, ScalarType dtype)
        : base(nameof(WanHead))
    {
        norm = new WanLayerNorm(config.Dim, config.Eps, affine: false);
        head = new WanLinear(config.Dim, config.HeadOutDim, dtype);
        modulation = new Parameter(empty([1, 2, config.Dim], ScalarType.Float32), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>Not used: call <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("WanHead needs the time embedding: call Forward.");

    /// <summary><paramref name="x"/> <c>[B, L, dim]</c> float32 and <paramref name="e"/> <c>[B, dim]</c> to <c>[B, L, pt*ph*pw*out_dim]</c>.</summary>
    public Tensor Forward(Tensor x, Tensor e)
    {
        using var scope = NewDisposeScope();
        Tensor[] m = (modulation + e.unsqueeze(1)).chunk(2, 1);
        return head.forward(WanAttentionBlock.Modulate(norm.forward(x), m[0], m[1])).MoveToOuterDisposeScope();
    }
}
