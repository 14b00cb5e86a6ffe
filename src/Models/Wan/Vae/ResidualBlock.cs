using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// <c>shortcut(x) + conv2(SiLU(RMS2(conv1(SiLU(RMS1(x))))))</c>, the shortcut a 1x1x1 convolution when the width
/// changes. Official names: <c>residual.0</c> RMS1, <c>residual.2</c> conv1, <c>residual.3</c> RMS2,
/// <c>residual.6</c> conv2 (1, 4, 5 are the parameter-free SiLU, SiLU, dropout), <c>shortcut</c>.
/// </summary>
internal sealed class ResidualBlock : VaeLayer
{
    private readonly RmsNorm _norm1;
    private readonly CausalConv3d _conv1;
    private readonly RmsNorm _norm2;
    private readonly CausalConv3d _conv2;
    private readonly CausalConv3d? _shortcut;

    public ResidualBlock(int input, int output)
        : base("residual_block")
    {
        _norm1 = new RmsNorm(input, images: false);
        _conv1 = new CausalConv3d(input, output, 3);
        _norm2 = new RmsNorm(output, images: false);
        _conv2 = new CausalConv3d(output, output, 3);
        register_module("residual", nn.ModuleList<nn.Module>(_norm1, nn.SiLU(), _conv1, _norm2, nn.SiLU(), nn.Identity(), _conv2));
        if (input != output)
        {
            _shortcut = new CausalConv3d(input, output, 1);
            register_module("shortcut", _shortcut);
        }
    }

    public override Tensor Run(Tensor x, FeatureCache cache)
    {
        using var scope = NewDisposeScope();
        Tensor h = _shortcut?.Whole(x) ?? x;
        Tensor y = _conv1.Run(nn.functional.silu(_norm1.forward(x)), cache);
        y = _conv2.Run(nn.functional.silu(_norm2.forward(y)), cache);
        return y.add_(h).MoveToOuterDisposeScope();
    }

    public override void Reach(ref long rate, ref long lag)
    {
        _conv1.Reach(ref rate, ref lag);
        _conv2.Reach(ref rate, ref lag);
    }
}
