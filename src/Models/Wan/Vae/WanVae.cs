using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The Wan2.1 causal 3D VAE (official <c>WanVAE_</c> plus the latent normalisation of <c>WanVAE</c>). Video is
/// <c>[B, 3, F, H, W]</c> in [-1, 1] with F = 1 + 4k; the latent is <c>[B, z_dim, 1 + (F - 1) / 4, H / 8, W / 8]</c>,
/// normalised per channel (<c>(mu - mean) / std</c>), always float32. The network runs in its parameters' dtype
/// (float32 or bfloat16); RMS norms are computed in float32, and so are bfloat16 convolutions on the CPU
/// (see <see cref="VaeConvolution"/>). Encoding streams chunks of 1, 4, 4, ... frames and
/// decoding one latent frame at a time through the feature cache, as the reference does, so memory does not grow with
/// the video's length; <see cref="WanVaeTiling"/> bounds it in space too.
/// </summary>
public sealed class WanVae : nn.Module
{
    private readonly VaeTower _encoder;
    private readonly CausalConv3d _conv1;
    private readonly CausalConv3d _conv2;
    private readonly VaeTower _decoder;
    private readonly float[] _mean;
    private readonly float[] _inverseStd;

    /// <summary>
    /// A VAE of shape <paramref name="config"/> (parameters uninitialised until loaded; see <see cref="WanVaeWeights"/>),
    /// normalising the latent with <paramref name="mean"/> and <paramref name="inverseStd"/> (<c>1 / std</c>; default:
    /// <see cref="WanVaeLatentStats"/>, which need z_dim 16).
    /// </summary>
    public WanVae(WanVaeConfig config, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? inverseStd = null)
        : base("wan_vae")
    {
        Config = config.Validate();
        mean ??= WanVaeLatentStats.Mean;
        inverseStd ??= WanVaeLatentStats.InverseStd;
        if (mean.Count != config.ZDim || inverseStd.Count != config.ZDim)
        {
            throw new ArgumentException($"mean and inverseStd need z_dim = {config.ZDim} values each, got {mean.Count} and {inverseStd.Count}.", nameof(mean));
        }
        _mean = [.. mean];
        _inverseStd = [.. inverseStd];
        _encoder = VaeTower.Encoder(config);
        _conv1 = new CausalConv3d(2 * config.ZDim, 2 * config.ZDim, 1);
        _conv2 = new CausalConv3d(config.ZDim, config.ZDim, 1);
        _decoder = VaeTower.Decoder(config);
        register_module("encoder", _encoder);
        register_module("conv1", _conv1);
        register_module("conv2", _conv2);
        register_module("decoder", _decoder);
        (long rate, long lag) = _decoder.Reach();
        // Kept frames of latent a start at rate (a - 1) + 1; exact from rate s + lag with s = a - R: R >= (lag + rate - 1) / rate.
        ExactWarmUp = (int)((lag + rate - 1 + rate - 1) / rate);
    }

    /// <summary>The architecture.</summary>
    public WanVaeConfig Config { get; }

    /// <summary>The dtype the network runs in (its parameters').</summary>
    public ScalarType DType => parameters().First().dtype;

    /// <summary>Per-channel latent mean.</summary>
    public IReadOnlyList<float> LatentMean => _mean;

    /// <summary>Per-channel <c>1 / std</c> of the latent.</summary>
    public IReadOnlyList<float> LatentInverseStd => _inverseStd;

    /// <summary>
    /// R: the latent frames of warm-up after which a chunk started with an empty cache decodes exactly as in the
    /// sequential decode, derived from the decoder's layers (38 for the released architecture: 24 frames of look-back at
    /// the latent rate, 14 at twice and 26 at four times the rate, the two temporal upsamplings in between).
    /// </summary>
    public int ExactWarmUp { get; }

    /// <summary>Encodes a video or image <c>[B, 3, 1 + 4k, H, W]</c> in [-1, 1] to the normalised latent mean (float32).</summary>
    /// <exception cref="ArgumentException">The shape is not a video of 1 + 4k frames with sides divisible by 8; the message names the field.</exception>
    public Tensor Encode(Tensor video) => Encode(video, null);

    /// <summary>
    /// Decodes a normalised latent <c>[B, z_dim, T, h, w]</c> to frames <c>[B, 3, 1 + 4 (T - 1), 8h, 8w]</c> in [-1, 1]
    /// (clamped; float32, float64 for a float64 model), optionally tiled.
    /// </summary>
    public Tensor Decode(Tensor latent, WanVaeTiling? tiling = null)
    {
        using Tensor raw = DecodeUnclamped(latent, tiling);
        return raw.clamp(-1, 1);
    }

    /// <summary>As <see cref="Decode"/> without the final clamp (what the reference's <c>WanVAE_.decode</c> returns).</summary>
    public Tensor DecodeUnclamped(Tensor latent, WanVaeTiling? tiling = null) => DecodeStream(latent, startsStream: true, drop: 0, tiling, null);

    /// <summary>A plan to decode <paramref name="latentFrames"/> in chunks of <paramref name="chunkLatents"/> with the exact warm-up.</summary>
    public WanVaeDecodePlan PlanDecode(int latentFrames, int chunkLatents) => WanVaeDecodePlan.Create(latentFrames, chunkLatents, ExactWarmUp, Config.TemporalStride);

    /// <summary>
    /// Decodes one chunk of a plan from its input <paramref name="latents"/> (latent frames <c>[WarmUpStart, LatentEnd)</c>,
    /// see <see cref="WanVaeDecodeChunk.InputOf"/>): frames <c>[FrameStart, FrameEnd)</c> in [-1, 1], float32, clamped
    /// unless <paramref name="clamp"/> is false.
    /// </summary>
    public Tensor DecodeChunk(Tensor latents, WanVaeDecodeChunk chunk, WanVaeTiling? tiling = null, bool clamp = true)
    {
        if (latents.shape.Length != 5 || latents.shape[2] != chunk.InputLatents)
        {
            throw new ArgumentException($"latents: chunk {chunk.Index} takes latent frames [{chunk.WarmUpStart}, {chunk.LatentEnd}) = {chunk.InputLatents} frames, got [{string.Join(", ", latents.shape)}].", nameof(latents));
        }
        Tensor raw = DecodeStream(latents, chunk.StartsStream, chunk.WarmUpLatents, tiling, null);
        if (!clamp)
        {
            return raw;
        }
        using (raw)
        {
            return raw.clamp(-1, 1);
        }
    }

    /// <summary>Frames in [-1, 1] <c>[B, 3, F, H, W]</c> to 8-bit video <c>[B, F, H, W, 3]</c>: <c>round((x + 1) / 2 · 255)</c> after clamping.</summary>
    public static Tensor ToUInt8(Tensor frames)
    {
        using var scope = NewDisposeScope();
        Tensor scaled = (frames.to(ScalarType.Float32).clamp(-1, 1) + 1) * 127.5;
        return scaled.round().clamp(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 4, 1).contiguous().MoveToOuterDisposeScope();
    }

    internal Tensor Encode(Tensor video, Action<string, Tensor>? trace)
    {
        CheckVideo(video);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var cache = new FeatureCache();
        Tensor x = video.to(DType);
        int frames = (int)x.shape[2], stride = Config.TemporalStride;
        var outputs = new List<Tensor>();
        for (int start = 0, i = 0; start < frames; start += i == 0 ? 1 : stride, i++)
        {
            cache.Begin(first: i == 0);
            Tensor chunk = _encoder.Run(x.narrow(2, start, i == 0 ? 1 : stride), cache);
            trace?.Invoke($"encoder_chunk{i}", chunk);
            outputs.Add(chunk);
        }
        Tensor moments = _conv1.Whole(cat(outputs, 2)).to(ScalarType.Float32);
        trace?.Invoke("conv1_out", moments);
        Tensor mu = moments.narrow(1, 0, Config.ZDim);
        return ((mu - Stat(_mean, mu.device)) * Stat(_inverseStd, mu.device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decodes latent frames as one stream (the first processed as the stream's first when <paramref name="startsStream"/>)
    /// and keeps the frames after the first <paramref name="drop"/> latent frames; float32, unclamped.
    /// </summary>
    internal Tensor DecodeStream(Tensor latent, bool startsStream, int drop, WanVaeTiling? tiling, Action<string, Tensor>? trace)
    {
        CheckLatent(latent);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor z = latent.to(ScalarType.Float32) / Stat(_inverseStd, latent.device) + Stat(_mean, latent.device);
        Tensor x = _conv2.Whole(z.to(DType));
        trace?.Invoke("decoder_in", x);
        int latents = (int)x.shape[2], scale = Config.SpatialStride, stride = Config.TemporalStride;
        int frames = (startsStream && drop == 0 ? 1 : stride) + stride * (latents - drop - 1);
        long b = x.shape[0], h = x.shape[3] * scale, w = x.shape[4] * scale;
        ScalarType outputType = DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Tensor output = zeros([b, 3, frames, h, w], outputType, x.device);
        if (tiling is null)
        {
            DecodeTile(x, startsStream, drop, output);
            return output.MoveToOuterDisposeScope();
        }
        var rows = tiling.Validate().Spans((int)x.shape[3]);
        var columns = tiling.Spans((int)x.shape[4]);
        Tensor total = zeros([h, w], outputType);
        for (int r = 0; r < rows.Count; r++)
        {
            for (int c = 0; c < columns.Count; c++)
            {
                using var tileScope = NewDisposeScope();
                Tensor tileIn = x.narrow(3, rows[r].Start, rows[r].Length).narrow(4, columns[c].Start, columns[c].Length);
                Tensor tileOut = zeros([b, 3, frames, rows[r].Length * scale, columns[c].Length * scale], outputType);
                DecodeTile(tileIn, startsStream, drop, tileOut);
                Tensor weight = WanVaeTiling.Weight(rows, columns, r, c, scale).to(outputType);
                output.narrow(3, rows[r].Start * scale, rows[r].Length * scale).narrow(4, columns[c].Start * scale, columns[c].Length * scale)
                    .add_(tileOut.mul_(weight));
                total.narrow(0, rows[r].Start * scale, rows[r].Length * scale).narrow(1, columns[c].Start * scale, columns[c].Length * scale).add_(weight);
            }
        }
        return output.div_(total).MoveToOuterDisposeScope();
    }

    /// <summary>Streams <paramref name="x"/> (after <c>conv2</c>) through the decoder one latent frame at a time into <paramref name="output"/>.</summary>
    private void DecodeTile(Tensor x, bool startsStream, int drop, Tensor output)
    {
        using var cache = new FeatureCache();
        int written = 0;
        for (int j = 0; j < x.shape[2]; j++)
        {
            using var scope = NewDisposeScope();
            cache.Begin(first: startsStream && j == 0);
            Tensor frames = _decoder.Run(x.narrow(2, j, 1), cache);
            if (j >= drop)
            {
                output.narrow(2, written, frames.shape[2]).copy_(frames);
                written += (int)frames.shape[2];
            }
        }
    }

    private static Tensor Stat(float[] values, Device device) => tensor(values, device: device).reshape(1, values.Length, 1, 1, 1);

    private void CheckVideo(Tensor video)
    {
        if (video.shape.Length != 5 || video.shape[1] != 3)
        {
            throw new ArgumentException($"video must be [B, 3, F, H, W], got [{string.Join(", ", video.shape)}].", nameof(video));
        }
        long frames = video.shape[2], stride = Config.TemporalStride;
        if (frames < 1 || (frames - 1) % stride != 0)
        {
            throw new ArgumentException($"video frames (dimension 2) must be 1 + {stride}k (1, {1 + stride}, {1 + 2 * stride}, ...), got {frames}: the reference would silently drop the last {(frames - 1) % stride} frame(s).", nameof(video));
        }
        int scale = Config.SpatialStride;
        if (video.shape[3] % scale != 0 || video.shape[4] % scale != 0)
        {
            throw new ArgumentException($"video height and width (dimensions 3, 4) must be multiples of {scale}, got {video.shape[3]}x{video.shape[4]}.", nameof(video));
        }
    }

    private void CheckLatent(Tensor latent)
    {
        if (latent.shape.Length != 5 || latent.shape[1] != Config.ZDim || latent.shape[2] < 1)
        {
            throw new ArgumentException($"latent must be [B, {Config.ZDim}, T >= 1, h, w], got [{string.Join(", ", latent.shape)}].", nameof(latent));
        }
    }
}
