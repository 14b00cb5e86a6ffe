using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// A 3D convolution that is causal in time: zero padding <c>pad</c> on each side in space, <c>2 * pad_t</c> frames in
/// front and none behind in time. Streamed through a <see cref="FeatureCache"/>, the frames in front are the last
/// inputs of the previous chunk (zeros before the first), so chunked and whole-sequence evaluation agree.
/// Parameters <c>weight</c> <c>[out, in, kt, kh, kw]</c> and <c>bias</c> as in PyTorch.
/// </summary>
internal sealed class CausalConv3d : VaeLayer
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] _padding;
    private readonly long[] _stride;
    private readonly int _front;

    public CausalConv3d(int input, int output, (int T, int H, int W) kernel, (int T, int H, int W) padding, int temporalStride = 1)
        : base("causal_conv3d")
    {
        _stride = [temporalStride, 1, 1];
        weight = nn.Parameter(torch.empty([output, input, kernel.T, kernel.H, kernel.W]));
        bias = nn.Parameter(torch.empty(output));
        _padding = [0, padding.H, padding.W];
        _front = 2 * padding.T;
        RegisterComponents();
    }

    /// <summary>A cubic kernel <paramref name="k"/> with padding <c>k / 2</c> in every dimension.</summary>
    public CausalConv3d(int input, int output, int k)
        : this(input, output, (k, k, k), (k / 2, k / 2, k / 2))
    {
    }

    /// <summary>Frames of history the convolution looks back.</summary>
    public int Front => _front;

    /// <summary>The convolution over a whole stream (2 pad_t zero frames in front).</summary>
    public Tensor Whole(Tensor x)
    {
        Tensor input = _front == 0 ? x : nn.functional.pad(x, [0, 0, 0, 0, _front, 0]);
        return VaeConvolution.Conv3d(input, weight, bias, _stride, _padding);
    }

    /// <inheritdoc />
    public override Tensor Run(Tensor x, FeatureCache cache)
        => _front == 0 ? Whole(x) : VaeConvolution.Conv3d(cache.Extend(this, x, _front), weight, bias, _stride, _padding);

    /// <inheritdoc />
    public override void Reach(ref long rate, ref long lag) => lag += _front;
}
