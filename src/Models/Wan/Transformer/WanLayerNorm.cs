using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>LayerNorm over the last axis in float32, with an optional float32 weight and bias (empty until loaded).</summary>
public sealed class WanLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter? weight;
    private readonly Parameter? bias;
    private readonly long _dim;
    private readonly double _eps;

    /// <summary>A norm over <paramref name="dim"/> features; <paramref name="affine"/> adds weight and bias.</summary>
    public WanLayerNorm(long dim, double eps, bool affine)
        : base(nameof(WanLayerNorm))
    {
        _dim = dim;
        _eps = eps;
        weight = affine ? new Parameter(empty([dim], ScalarType.Float32), requires_grad: false) : null;
        bias = affine ? new Parameter(empty([dim], ScalarType.Float32), requires_grad: false) : null;
        RegisterComponents();
    }

    /// <summary>The normalised input, float32.</summary>
    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x.to(ScalarType.Float32), [_dim], weight, bias, _eps);
}
