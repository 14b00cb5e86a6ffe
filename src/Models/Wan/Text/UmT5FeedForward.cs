using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>T5's gated feed-forward: <c>fc2(fc1(x) · gelu_tanh(gate.0(x)))</c>, no biases.</summary>
public sealed class UmT5FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _gate;
    private readonly Linear _gateLinear;
    private readonly Linear _fc1;
    private readonly Linear _fc2;

    /// <summary>dim → dim_ffn → dim.</summary>
    public UmT5FeedForward(int dim, int dimFfn, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(UmT5FeedForward))
    {
        _gateLinear = nn.Linear(dim, dimFfn, hasBias: false, device: device, dtype: dtype);
        _gate = nn.Sequential(("0", (nn.Module<Tensor, Tensor>)_gateLinear));
        _fc1 = nn.Linear(dim, dimFfn, hasBias: false, device: device, dtype: dtype);
        _fc2 = nn.Linear(dimFfn, dim, hasBias: false, device: device, dtype: dtype);
        register_module("gate", _gate);
        register_module("fc1", _fc1);
        register_module("fc2", _fc2);
    }

    /// <summary>The tanh approximation of GELU exactly as the official <c>GELU</c> module writes it.</summary>
    public static Tensor GeluTanh(Tensor x) =>
        0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3.0))));

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor hidden = _fc1.forward(x) * GeluTanh(_gate.forward(x));
        return _fc2.forward(hidden).MoveToOuterDisposeScope();
    }
}
