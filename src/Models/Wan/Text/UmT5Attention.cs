using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// T5 self-attention: q, k, v, o without bias, <b>no</b> 1/sqrt(d) scaling, an additive bias (relative position, the
/// masked keys already replaced by the dtype's minimum), softmax in float32.
/// </summary>
public sealed class UmT5Attention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear _q;
    private readonly Linear _k;
    private readonly Linear _v;
    private readonly Linear _o;
    private readonly int _heads;

    /// <summary>Attention of width <paramref name="dim"/> with <paramref name="heads"/> heads over <paramref name="dimAttn"/>.</summary>
    public UmT5Attention(int dim, int dimAttn, int heads, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(UmT5Attention))
    {
        _heads = heads;
        _q = nn.Linear(dim, dimAttn, hasBias: false, device: device, dtype: dtype);
        _k = nn.Linear(dim, dimAttn, hasBias: false, device: device, dtype: dtype);
        _v = nn.Linear(dim, dimAttn, hasBias: false, device: device, dtype: dtype);
        _o = nn.Linear(dimAttn, dim, hasBias: false, device: device, dtype: dtype);
        register_module("q", _q);
        register_module("k", _k);
        register_module("v", _v);
        register_module("o", _o);
    }

    /// <summary><paramref name="x"/> [B, L, dim]; <paramref name="bias"/> [B or 1, heads, L, L].</summary>
    public override Tensor forward(Tensor x, Tensor bias)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        Tensor q = _q.forward(x).view(b, l, _heads, -1).transpose(1, 2);
        Tensor k = _k.forward(x).view(b, l, _heads, -1).transpose(1, 2);
        Tensor v = _v.forward(x).view(b, l, _heads, -1).transpose(1, 2);
        Tensor scores = q.matmul(k.transpose(-1, -2)) + bias;
        Tensor weights = scores.to(ScalarType.Float32).softmax(-1).to(scores.dtype);
        Tensor attended = weights.matmul(v).transpose(1, 2).reshape(b, l, -1);
        return _o.forward(attended).MoveToOuterDisposeScope();
    }
}
