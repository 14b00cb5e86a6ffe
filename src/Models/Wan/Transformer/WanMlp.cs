using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Linear, GELU, Linear, with the official <c>nn.Sequential</c> names <c>0</c> and <c>2</c>: the block FFN and the
/// text embedding (GELU tanh approximation) and the time embedding (SiLU instead of GELU).
/// </summary>
public sealed class WanMlp : nn.Module<Tensor, Tensor>
{
    private readonly WanLinear _first;
    private readonly WanLinear _second;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary><paramref name="inFeatures"/> to <paramref name="hidden"/> to <paramref name="outFeatures"/> in <paramref name="dtype"/>.</summary>
    public WanMlp(long inFeatures, long hidden, long outFeatures, ScalarType dtype, Func<Tensor, Tensor> activation)
        : base(nameof(WanMlp))
    {
        _first = new WanLinear(inFeatures, hidden, dtype);
        _second = new WanLinear(hidden, outFeatures, dtype);
        _activation = activation;
        register_module("0", _first);
        register_module("2", _second);
    }

    /// <summary>GELU with the tanh approximation (the FFN and the text embedding).</summary>
    public static Tensor GeluTanh(Tensor x) => nn.functional.gelu(x, GELU.Approximate.tanh);

    /// <summary>SiLU (the time embedding).</summary>
    public static Tensor Silu(Tensor x) => nn.functional.silu(x);

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _second.forward(_activation(_first.forward(x))).MoveToOuterDisposeScope();
    }
}
