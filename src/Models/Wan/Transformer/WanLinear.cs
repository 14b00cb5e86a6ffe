using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// A Linear layer whose parameters are allocated empty in a given dtype (the loader fills them): no random
/// initialisation to pay for and no float32 copy on the way to bfloat16. The input is cast to the weight's dtype.
/// </summary>
public sealed class WanLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;

    /// <summary>A <paramref name="inFeatures"/> to <paramref name="outFeatures"/> layer in <paramref name="dtype"/>.</summary>
    public WanLinear(long inFeatures, long outFeatures, ScalarType dtype, bool hasBias = true)
        : base(nameof(WanLinear))
    {
        weight = new Parameter(empty([outFeatures, inFeatures], dtype), requires_grad: false);
        bias = hasBias ? new Parameter(empty([outFeatures], dtype), requires_grad: false) : null;
        RegisterComponents();
    }

    /// <summary><c>x W^T + b</c> in the weight's dtype.</summary>
    public override Tensor forward(Tensor x) => nn.functional.linear(x.to(weight.dtype), weight, bias);
}
