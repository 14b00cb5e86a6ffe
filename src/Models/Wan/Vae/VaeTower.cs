using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The encoder (<c>Encoder3d</c>) or decoder (<c>Decoder3d</c>) of the VAE: <c>conv1</c>, two lists of layers run in
/// order (encoder: <c>downsamples</c> then <c>middle</c>; decoder: <c>middle</c> then <c>upsamples</c>), and
/// <c>head</c> = RMS norm, SiLU, causal 3x3x3 convolution. Built with the official index layout so parameter names are
/// those of the official checkpoint.
/// </summary>
internal sealed class VaeTower : nn.Module
{
    private readonly CausalConv3d _conv1;
    private readonly VaeLayer[] _layers;
    private readonly RmsNorm _headNorm;
    private readonly CausalConv3d _headConv;

    private VaeTower(string name, CausalConv3d conv1, (string Name, VaeLayer[] Layers) first, (string Name, VaeLayer[] Layers) second, int width, int output)
        : base(name)
    {
        _conv1 = conv1;
        _headNorm = new RmsNorm(width, images: false);
        _headConv = new CausalConv3d(width, output, 3);
        _layers = [.. first.Layers, .. second.Layers];
        register_module("conv1", _conv1);
        register_module(first.Name, nn.ModuleList(first.Layers));
        register_module(second.Name, nn.ModuleList(second.Layers));
        register_module("head", nn.ModuleList<nn.Module>(_headNorm, nn.SiLU(), _headConv));
    }

    /// <summary>Official <c>Encoder3d(dim, 2 z_dim, ...)</c>: video <c>[B, 3, T, H, W]</c> to <c>[B, 2 z_dim, T', H/8, W/8]</c>.</summary>
    public static VaeTower Encoder(WanVaeConfig config)
    {
        int[] dims = [config.Dim, .. config.DimMult.Select(m => config.Dim * m)];
        var downsamples = new List<VaeLayer>();
        int width = dims[0];
        for (int i = 0; i < config.DimMult.Count; i++)
        {
            for (int r = 0; r < config.NumResBlocks; r++)
            {
                downsamples.Add(new ResidualBlock(width, dims[i + 1]));
                width = dims[i + 1];
            }
            if (i != config.DimMult.Count - 1)
            {
                downsamples.Add(new Resample(width, up: false, temporal: config.TemporalDownsample[i]));
            }
        }
        return new VaeTower("encoder", new CausalConv3d(3, dims[0], 3), ("downsamples", [.. downsamples]), ("middle", Middle(width)), width, 2 * config.ZDim);
    }

    /// <summary>Official <c>Decoder3d(dim, z_dim, ...)</c> with the temporal upsamplings mirroring the encoder's.</summary>
    public static VaeTower Decoder(WanVaeConfig config)
    {
        int levels = config.DimMult.Count;
        int[] dims = [config.Dim * config.DimMult[^1], .. config.DimMult.Reverse().Select(m => config.Dim * m)];
        bool[] temporal = [.. config.TemporalDownsample.Reverse()];
        var upsamples = new List<VaeLayer>();
        int width = dims[0];
        for (int i = 0; i < levels; i++)
        {
            // Levels 1..3 take half the width: the upsampler before them halved it (official Decoder3d).
            width = i is 1 or 2 or 3 ? dims[i] / 2 : dims[i];
            for (int r = 0; r < config.NumResBlocks + 1; r++)
            {
                upsamples.Add(new ResidualBlock(width, dims[i + 1]));
                width = dims[i + 1];
            }
            if (i != levels - 1)
            {
                upsamples.Add(new Resample(width, up: true, temporal: temporal[i]));
            }
        }
        return new VaeTower("decoder", new CausalConv3d(config.ZDim, dims[0], 3), ("middle", Middle(dims[0])), ("upsamples", [.. upsamples]), width, 3);
    }

    /// <summary>Runs one time chunk through the tower.</summary>
    public Tensor Run(Tensor x, FeatureCache cache)
    {
        using var scope = NewDisposeScope();
        Tensor y = _conv1.Run(x, cache);
        foreach (VaeLayer layer in _layers)
        {
            Tensor next = layer.Run(y, cache);
            y.Dispose();
            y = next;
        }
        y = _headConv.Run(nn.functional.silu(_headNorm.forward(y)), cache);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The first exact output frame of a stream started at latent frame s with zero history, as <c>rate * s + lag</c>
    /// at the output rate: every causal convolution on the way adds its look-back, every temporal upsampling doubles.
    /// </summary>
    public (long Rate, long Lag) Reach()
    {
        long rate = 1, lag = 0;
        _conv1.Reach(ref rate, ref lag);
        foreach (VaeLayer layer in _layers)
        {
            layer.Reach(ref rate, ref lag);
        }
        _headConv.Reach(ref rate, ref lag);
        return (rate, lag);
    }

    private static VaeLayer[] Middle(int width) => [new ResidualBlock(width, width), new AttentionBlock(width), new ResidualBlock(width, width)];
}
