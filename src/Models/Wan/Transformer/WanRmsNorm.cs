using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The official <c>WanRMSNorm</c>: <c>x * rsqrt(mean(x^2) + eps)</c> over the last axis, computed in float32, cast back
/// to the input's dtype, then times a float32 weight (so the result is float32).
/// </summary>
public sealed class WanRmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>A norm over <paramref name="dim"/> features.</summary>
    public WanRmsNorm(long dim, double eps)
        : base(nameof(WanRmsNorm))
    {
        weight = new Parameter(empty([dim], ScalarType.Float32), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor f = x.to(ScalarType.Float32);
        Tensor normed = f * (f.square().mean([-1], keepdim: true) + _eps).rsqrt();
        return (normed.to(x.dtype).to(ScalarType.Float32) * weight).MoveToOuterDisposeScope();
    }
}
