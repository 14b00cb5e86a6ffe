using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>T5's layer norm: <c>weight · x / sqrt(mean(x²) + eps)</c> (no mean subtraction, no bias), the statistic in float32.</summary>
public sealed class T5RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;

    /// <summary>A norm over the last dimension of width <paramref name="dim"/>.</summary>
    public T5RmsNorm(int dim, double eps) : base(nameof(T5RmsNorm))
    {
        _eps = eps;
        register_parameter("weight", new Parameter(ones(dim), requires_grad: false));
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor x32 = x.to(ScalarType.Float32);
        Tensor normalized = x32 * (x32.square().mean([-1], keepdim: true) + _eps).rsqrt();
        // Looked up by name: Module.to(dtype/device) replaces registered parameters, so a field would go stale.
        Parameter weight = get_parameter("weight") ?? throw new InvalidOperationException("T5RmsNorm lost its weight.");
        return (weight * normalized.to(weight.dtype)).MoveToOuterDisposeScope();
    }
}
