using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Halves or doubles the frame size, and with <c>3d</c> also time. <c>downsample2d</c>: pad right and bottom by 1, 3x3
/// stride-2 convolution per frame. <c>downsample3d</c>: the same, then <c>time_conv</c> (kernel 3, stride 2, no
/// padding) over the last frame of the previous chunk and this chunk; the stream's first chunk passes through.
/// <c>upsample2d</c>: nearest x2 then 3x3 convolution to half the width. <c>upsample3d</c>: first the causal
/// <c>time_conv</c> to twice the width, whose halves become frames 2j and 2j+1 (its history starts as zeros after
/// the first frame, which passes through), then the spatial part. Names <c>resample.1.*</c>, <c>time_conv.*</c>.
/// </summary>
internal sealed class Resample : VaeLayer
{
    private readonly Conv2d _conv;
    private readonly CausalConv3d? _timeConv;
    private readonly bool _up;

    public Resample(int channels, bool up, bool temporal)
        : base("resample")
    {
        _up = up;
        _conv = up ? nn.Conv2d(channels, channels / 2, 3, padding: 1) : nn.Conv2d(channels, channels, 3, stride: 2);
        register_module("resample", nn.ModuleList<nn.Module>(nn.Identity(), _conv));
        if (temporal)
        {
            _timeConv = up
                ? new CausalConv3d(channels, channels * 2, (3, 1, 1), (1, 0, 0))
                : new CausalConv3d(channels, channels, (3, 1, 1), (0, 0, 0), temporalStride: 2);
            register_module("time_conv", _timeConv);
        }
    }

    public override Tensor Run(Tensor x, FeatureCache cache)
    {
        using var scope = NewDisposeScope();
        if (_up && _timeConv is not null && !cache.First)
        {
            long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
            x = _timeConv.Run(x, cache).reshape(b, 2, c, t, h, w).permute(0, 2, 3, 1, 4, 5).reshape(b, c, t * 2, h, w);
        }
        x = Spatial(x);
        if (!_up && _timeConv is not null)
        {
            // The stream's first chunk passes through; later chunks see the previous chunk's last frame first.
            Tensor extended = cache.Extend(this, x, 1);
            if (!cache.First)
            {
                x = _timeConv.Whole(extended);
            }
        }
        return x.MoveToOuterDisposeScope();
    }

    public override void Reach(ref long rate, ref long lag)
    {
        if (_timeConv is null)
        {
            return;
        }
        if (!_up)
        {
            throw new NotSupportedException("the warm-up reach is defined for the decoder, which has no downsampling.");
        }
        // Input frame i >= 1 becomes output frames 2i - 1 and 2i; the first exact input frame c = rate s + lag therefore
        // gives first exact output frame 2c - 1.
        _timeConv.Reach(ref rate, ref lag);
        rate *= 2;
        lag = 2 * lag - 1;
    }

    private Tensor Spatial(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        Tensor frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
        frames = _up
            ? nn.functional.interpolate(frames, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.pad(frames, [0, 1, 0, 1]);
        frames = VaeConvolution.Conv2d(frames, _conv.weight!, _conv.bias, _up ? 1 : 2, _up ? 1 : 0);
        return frames.reshape(b, t, frames.shape[1], frames.shape[2], frames.shape[3]).permute(0, 2, 1, 3, 4);
    }
}
