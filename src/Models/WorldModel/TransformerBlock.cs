using Loom.Sampling.Fields;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// A pre-norm transformer block with adaLN-Zero conditioning on the timestep (DiT): the time embedding sets a shift,
/// scale and gate for attention and for the MLP; the gates start at zero so every block starts as the identity.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int _heads;
    private readonly Linear modulation;
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly LayerNorm norm2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Creates a block of width <paramref name="dim"/> with <paramref name="heads"/> heads.</summary>
    public TransformerBlock(string name, int dim, int heads)
        : base(name)
    {
        _heads = heads;
        modulation = nn.Linear(dim, 6 * dim);
        norm1 = nn.LayerNorm(dim, elementwise_affine: false);
        qkv = nn.Linear(dim, 3 * dim);
        proj = nn.Linear(dim, dim);
        norm2 = nn.LayerNorm(dim, elementwise_affine: false);
        fc1 = nn.Linear(dim, 4 * dim);
        fc2 = nn.Linear(4 * dim, dim);
        RegisterComponents();
        using (no_grad())
        {
            modulation.weight!.zero_();
            modulation.bias!.zero_();
        }
    }

    /// <summary>x: tokens <c>[B, N, D]</c>; time: <c>[B, D]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor time)
    {
        using var scope = NewDisposeScope();
        Tensor[] m = modulation.forward(nn.functional.silu(time)).unsqueeze(1).chunk(6, -1);
        long b = x.shape[0], n = x.shape[1], d = x.shape[2];

        Tensor h = Modulate(norm1.forward(x), m[0], m[1]);
        Tensor[] qkvParts = qkv.forward(h).reshape(b, n, 3, _heads, d / _heads).permute(2, 0, 3, 1, 4).unbind(0);
        Tensor attended = nn.functional.scaled_dot_product_attention(qkvParts[0], qkvParts[1], qkvParts[2]);
        x = HeldScalars.Add(x, m[2] * proj.forward(attended.transpose(1, 2).reshape(b, n, d)));

        h = Modulate(norm2.forward(x), m[3], m[4]);
        x = HeldScalars.Add(x, m[5] * fc2.forward(nn.functional.gelu(fc1.forward(h))));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// adaLN: <c>x (1 + scale) + shift</c>, written with tensors only. TorchSharp's implicit C# number to Scalar
    /// conversions make a temporary whose finalizer can free it while libtorch still reads it (a crash seen here
    /// 700 steps into training), so hot paths avoid them.
    /// </summary>
    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => HeldScalars.Add(x.addcmul(x, scale, HeldScalars.One), shift);
}
