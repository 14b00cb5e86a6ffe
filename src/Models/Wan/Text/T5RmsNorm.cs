using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>T5's layer norm: <c>weight · x / sqrt(mean(x²) + eps)</c> (no mean subtraction, no bias), the statistic in float32.</summary>
public sealed class T5RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;

    /// <summary>A norm over the last dimension of width <paramref name="dim"/>, its weight in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public T5RmsNorm(int dim, double eps, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(T5RmsNorm))
    {
        _eps = eps;
        register_parameter("weight", new Parameter(ones(dim, dtype, device), requires_grad: false));
    }

    /// <summary>
    /// The scale; looked up by name on every use because <c>Module.to(dtype/device)</c> replaces registered parameters
    /// (a field would go stale). Setting it replaces the registered parameter (loading into a meta-device encoder).
    /// </summary>
    public Parameter Weight
    {
        get => get_parameter("weight") ?? throw new InvalidOperationException("T5RmsNorm lost its weight.");
        set => ConditionallyRegisterParameter("weight", value);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor x32 = x.to(ScalarType.Float32);
        Tensor normalized = x32 * (x32.square().mean([-1], keepdim: true) + _eps).rsqrt();
        Parameter weight = Weight;
        return (weight * normalized.to(weight.dtype)).MoveToOuterDisposeScope();
    }
}
