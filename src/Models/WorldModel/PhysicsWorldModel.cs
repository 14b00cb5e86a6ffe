using Loom.Sampling.Fields;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// A small flow-matching video transformer in pixel space. Input: the noisy video <c>[B, 3, F, H, W]</c>, sigma
/// <c>[B]</c>, and conditioning <c>[B, 4, F, H, W]</c> (clean RGB of the given frames, zero elsewhere, plus a 0/1
/// "given" plane; all zero = unconditional). Output: the velocity <c>eps - x0</c>, same shape as the video.
/// Tokens are 8x8 patches of all frames; attention is full over space and time.
/// <para>
/// The network predicts the clean video (x-prediction, as in Li and He, "Back to Basics: Let Denoising Generative
/// Models Denoise", 2025) and the velocity follows from it, <c>v = (z - x0_hat) / s</c>. A token 128 wide cannot carry
/// the 192 noise values of its 8x8 RGB patch, which velocity (or noise) prediction must output at low noise; the clean
/// patch (balls over a texture) is low-rank and fits. Two earlier models that predicted velocity, one plain and one
/// with EDM-style skip preconditioning, both sampled visible noise.
/// </para>
/// </summary>
public sealed class PhysicsWorldModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private const int InputChannels = 2 * WorldModelConfig.Channels + 1;

    private readonly WorldModelConfig _config;
    private readonly Linear patch_embed;
    private readonly Parameter spatial_position;
    private readonly Parameter temporal_position;
    private readonly Linear time_in;
    private readonly Linear time_out;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm final_norm;
    private readonly Linear final_modulation;
    private readonly Linear head;
    private Tensor _frequencies;

    /// <summary>Creates the model with freshly initialised weights (deterministic under <c>torch.manual_seed</c>).</summary>
    public PhysicsWorldModel(WorldModelConfig config)
        : base("physics_world_model")
    {
        _config = config;
        int dim = config.Dim, patchValues = config.Patch * config.Patch;
        patch_embed = nn.Linear(InputChannels * patchValues, dim);
        spatial_position = nn.Parameter(randn(1, 1, config.PatchesPerFrame, dim) * 0.02);
        temporal_position = nn.Parameter(randn(1, config.MaxFrames, 1, dim) * 0.02);
        time_in = nn.Linear(256, dim);
        time_out = nn.Linear(dim, dim);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(i => new TransformerBlock($"block{i}", dim, config.Heads)).ToArray());
        final_norm = nn.LayerNorm(dim, elementwise_affine: false);
        final_modulation = nn.Linear(dim, 2 * dim);
        head = nn.Linear(dim, WorldModelConfig.Channels * patchValues);
        RegisterComponents();
        // Sinusoid frequencies of the timestep embedding (transformer positions, as in DiT and Wan), built once.
        _frequencies = tensor(Enumerable.Range(0, 128).Select(i => (float)Math.Exp(-Math.Log(10000) * i / 128)).ToArray());
        using (no_grad())
        {
            final_modulation.weight!.zero_();
            final_modulation.bias!.zero_();
            head.weight!.zero_();
            head.bias!.zero_();
        }
    }

    /// <summary>The model's shape.</summary>
    public WorldModelConfig Config => _config;

    /// <summary>The velocity <c>(z - x0_hat) / s</c> (s floored at 1e-4 so a stray s = 0 cannot divide by zero).</summary>
    public override Tensor forward(Tensor video, Tensor sigma, Tensor conditioning)
    {
        using var scope = NewDisposeScope();
        using Scalar floor = 1e-4f.ToScalar();
        long b = video.shape[0];
        Tensor clean = PredictClean(video, sigma, conditioning);
        Tensor s = sigma.to(ScalarType.Float32).reshape(b, 1, 1, 1, 1).clamp_min(floor);
        return (HeldScalars.Sub(video, clean) / s).MoveToOuterDisposeScope();
    }

    /// <summary>The network's estimate of the clean video <c>x0_hat</c>, <c>[B, 3, F, H, W]</c>.</summary>
    public Tensor PredictClean(Tensor video, Tensor sigma, Tensor conditioning)
    {
        using var scope = NewDisposeScope();
        long b = video.shape[0], frames = video.shape[2];
        if (frames > _config.MaxFrames || video.shape[3] != _config.Height || video.shape[4] != _config.Width)
        {
            throw new ArgumentException($"video [{string.Join(", ", video.shape)}] does not fit the model (at most {_config.MaxFrames} frames of {_config.Height}x{_config.Width}).", nameof(video));
        }
        Tensor tokens = patch_embed.forward(Patchify(cat([video, conditioning], 1)));  // [B, F*S, D]
        tokens = HeldScalars.Add(HeldScalars.Add(tokens.reshape(b, frames, _config.PatchesPerFrame, -1), spatial_position), temporal_position.narrow(1, 0, frames))
            .reshape(b, frames * _config.PatchesPerFrame, -1);
        Tensor time = time_out.forward(nn.functional.silu(time_in.forward(TimestepEmbedding(sigma))));
        foreach (TransformerBlock block in blocks)
        {
            tokens = block.forward(tokens, time);
        }
        Tensor[] m = final_modulation.forward(nn.functional.silu(time)).unsqueeze(1).chunk(2, -1);
        Tensor output = head.forward(TransformerBlock.Modulate(final_norm.forward(tokens), m[0], m[1]));
        return HeldScalars.Add(Reference(conditioning), Unpatchify(output, frames)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What the network's output is added to: the last given frame, repeated over every frame (zero for an
    /// unconditional sample). A static background then costs the network nothing; it only has to move the balls,
    /// where a bare x0 output had to rebuild the texture through each 128-wide token (24 dB background PSNR after
    /// 300 training steps).
    /// </summary>
    private static Tensor Reference(Tensor conditioning)
    {
        long frames = conditioning.shape[2];
        Tensor flag = conditioning.narrow(1, WorldModelConfig.Channels, 1).amax([1, 3, 4]);                      // [B, F] 0/1
        Tensor index = (flag * arange(1, frames + 1, dtype: ScalarType.Float32, device: flag.device)).argmax(1); // last given frame
        Tensor any = flag.amax(1).reshape(-1, 1, 1, 1, 1);
        Tensor rgb = conditioning.narrow(1, 0, WorldModelConfig.Channels);
        long[] gatherShape = [rgb.shape[0], rgb.shape[1], 1, rgb.shape[3], rgb.shape[4]];
        Tensor last = rgb.gather(2, index.reshape(-1, 1, 1, 1, 1).expand(gatherShape));                         // [B, 3, 1, H, W]
        return (last * any).expand(rgb.shape);
    }

    /// <summary><c>[B, C, F, H, W]</c> to <c>[B, F * S, C * P * P]</c>.</summary>
    private Tensor Patchify(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], f = x.shape[2];
        int p = _config.Patch, hp = _config.Height / p, wp = _config.Width / p;
        return x.reshape(b, c, f, hp, p, wp, p).permute(0, 2, 3, 5, 1, 4, 6).reshape(b, f * hp * wp, c * p * p);
    }

    /// <summary><c>[B, F * S, 3 * P * P]</c> back to <c>[B, 3, F, H, W]</c>.</summary>
    private Tensor Unpatchify(Tensor x, long frames)
    {
        long b = x.shape[0];
        int p = _config.Patch, hp = _config.Height / p, wp = _config.Width / p;
        return x.reshape(b, frames, hp, wp, WorldModelConfig.Channels, p, p).permute(0, 4, 1, 2, 5, 3, 6)
            .reshape(b, WorldModelConfig.Channels, frames, _config.Height, _config.Width);
    }

    /// <summary>Sinusoidal embedding of the timestep <c>t = 1000 sigma</c>, <c>[B, 256]</c>.</summary>
    private Tensor TimestepEmbedding(Tensor sigma)
    {
        using Scalar steps = 1000.0f.ToScalar();
        Tensor angles = sigma.to(ScalarType.Float32).mul(steps).unsqueeze(1) * Frequencies(sigma.device).unsqueeze(0);
        return cat([cos(angles), sin(angles)], 1);
    }

    /// <summary>
    /// The timestep frequencies on <paramref name="device"/>: not a parameter, so <c>Module.to</c> leaves them where they
    /// are; they follow the model's inputs once, on the first forward pass on a new device, instead of on every pass.
    /// </summary>
    private Tensor Frequencies(Device device)
    {
        if (_frequencies.device_type != device.type || _frequencies.device_index != device.index)
        {
            Tensor moved = _frequencies.to(device).DetachFromDisposeScope();
            _frequencies.Dispose();
            _frequencies = moved;
        }
        return _frequencies;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _frequencies.Dispose();
        }
        base.Dispose(disposing);
    }
}
