using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The Wan2.1/2.2 diffusion transformer (official <c>WanModel</c>), text-to-video and image-to-video, with the official
/// parameter names. Parameters are allocated empty and filled by <see cref="WanWeightLoader"/>.
/// <para>
/// Dtypes: linear and patch-embedding matrices and the attention run in <see cref="ComputeType"/> (float32, bfloat16 or
/// float16). Kept in float32 as the official autocast regions do: the timestep sinusoid (computed in float64), the time
/// embedding and projection, every modulation table and its arithmetic, all norms, RoPE (tables from float64) and the
/// residual stream between layers. The output velocity is float32.
/// </para>
/// </summary>
public sealed class WanTransformer : nn.Module<Tensor, Tensor>
{
    private readonly WanPatchEmbedding patch_embedding;
    private readonly WanMlp text_embedding;
    private readonly WanMlp time_embedding;
    private readonly Sequential time_projection;
    private readonly ModuleList<WanAttentionBlock> blocks;
    private readonly WanHead head;
    private readonly WanImageEmbedding? img_emb;

    /// <summary>A model of <paramref name="config"/> computing in <paramref name="computeType"/>, on the CPU, parameters empty.</summary>
    /// <exception cref="ArgumentException">The compute dtype is not float32, bfloat16 or float16.</exception>
    public WanTransformer(WanTransformerConfig config, ScalarType computeType = ScalarType.Float32)
        : base(nameof(WanTransformer))
    {
        if (computeType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentException($"compute dtype {computeType} is not supported (Float32, BFloat16, Float16 are).", nameof(computeType));
        }
        Config = config;
        ComputeType = computeType;
        patch_embedding = new WanPatchEmbedding(config, computeType);
        text_embedding = new WanMlp(config.TextDim, config.Dim, config.Dim, computeType, WanMlp.GeluTanh);
        time_embedding = new WanMlp(config.FreqDim, config.Dim, config.Dim, ScalarType.Float32, WanMlp.Silu);
        time_projection = nn.Sequential(("0", nn.SiLU()), ("1", new WanLinear(config.Dim, 6L * config.Dim, ScalarType.Float32)));
        blocks = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new WanAttentionBlock(config, computeType)).ToArray());
        head = new WanHead(config, computeType);
        img_emb = config.ImageDim is int imageDim ? new WanImageEmbedding(imageDim, config.Dim, computeType) : null;
        RegisterComponents();
    }

    /// <summary>The model's shape.</summary>
    public WanTransformerConfig Config { get; }

    /// <summary>The dtype of the matrices and the attention.</summary>
    public ScalarType ComputeType { get; }

    /// <summary>Receives the reference's <c>debug.*</c> intermediates during <see cref="Forward"/> when set.</summary>
    public WanCapture? Capture { get; set; }

    /// <summary>Not used: call <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("WanTransformer needs a timestep and context: call Forward.");

    /// <summary>
    /// The flow velocity for a batch of latents.
    /// </summary>
    /// <param name="x">Noisy latents <c>[B, out_dim, F, H, W]</c> (F, H, W multiples of the patch size).</param>
    /// <param name="timestep">Timesteps <c>[B]</c> (or one for all), any real value; the pipeline passes integers in [0, 1000).</param>
    /// <param name="context">Text encoder output <c>[B, Lt, text_dim]</c>, Lt &lt;= text_len: the valid tokens (zero rows are
    /// appended to text_len and every row is attended, as the official model does).</param>
    /// <param name="clipFeatures">i2v with img_emb: CLIP image tokens <c>[B, 257, image_dim]</c>.</param>
    /// <param name="condition">i2v: mask and image latent <c>[B, in_dim - out_dim, F, H, W]</c>, concatenated to x.</param>
    /// <returns>The velocity <c>[B, out_dim, F, H, W]</c>, float32.</returns>
    public Tensor Forward(Tensor x, Tensor timestep, Tensor context, Tensor? clipFeatures = null, Tensor? condition = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        WanTransformerConfig c = Config;
        if (c.IsImageToVideo)
        {
            if (condition is null)
            {
                throw new ArgumentException("an i2v model needs the condition y (mask and image latent).", nameof(condition));
            }
            x = cat([x, condition.to(x.dtype)], 1);
        }
        if (x.dim() != 5 || x.shape[1] != c.InDim)
        {
            throw new ArgumentException($"latent [{string.Join(", ", x.shape)}] (condition included) must be [B, {c.InDim}, F, H, W].", nameof(x));
        }
        long b = x.shape[0];
        long[] size = [x.shape[2], x.shape[3], x.shape[4]];
        long[] grid = new long[3];
        for (int a = 0; a < 3; a++)
        {
            if (size[a] % c.PatchSize[a] != 0)
            {
                throw new ArgumentException($"latent axis {a + 2} has {size[a]} cells, not a multiple of the patch size {c.PatchSize[a]}.", nameof(x));
            }
            grid[a] = size[a] / c.PatchSize[a];
        }
        long tokens = grid[0] * grid[1] * grid[2];

        Tensor h = patch_embedding.forward(x).to(ScalarType.Float32); // [B, L, dim]
        Capture?.Invoke("patch_embedding", h.transpose(1, 2).reshape(b, c.Dim, grid[0], grid[1], grid[2]));

        Tensor sinusoid = Sinusoid(timestep, b, c.FreqDim).to(x.device);
        Capture?.Invoke("time_sinusoid", sinusoid);
        Tensor e = time_embedding.forward(sinusoid);
        Capture?.Invoke("time_embedding", e);
        Tensor e0 = time_projection.forward(e);
        Capture?.Invoke("time_projection", e0);
        e0 = e0.reshape(b, 6, c.Dim);

        Tensor text = text_embedding.forward(PadText(context, b));
        Capture?.Invoke("text_embedding", text);
        Tensor? image = null;
        if (img_emb is not null)
        {
            image = img_emb.forward(clipFeatures ?? throw new ArgumentException("this model has img_emb: CLIP image tokens are required.", nameof(clipFeatures)));
            Capture?.Invoke("img_emb", image);
        }

        using var rope = new WanRope(c.HeadDim, grid[0], grid[1], grid[2], x.device);
        for (int i = 0; i < blocks.Count; i++)
        {
            h = blocks[i].Forward(h, e0, text, image, rope, Capture, $"blocks.{i}");
        }
        Tensor output = head.Forward(h, e);
        Capture?.Invoke("head", output);

        // Unpatchify: [B, f, h, w, pt, ph, pw, C] -> [B, C, f, pt, h, ph, w, pw].
        int[] p = c.PatchSize;
        return output.reshape(b, grid[0], grid[1], grid[2], p[0], p[1], p[2], c.OutDim)
            .permute(0, 7, 1, 4, 2, 5, 3, 6)
            .reshape(b, c.OutDim, size[0], size[1], size[2])
            .to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The timestep sinusoid <c>[B, freqDim]</c>: <c>[cos(t w_k), sin(t w_k)]</c>, <c>w_k = 10000^(-k/half)</c>, computed in
    /// float64 and cast to float32 (a float32 sinusoid at t near 1000 is off by ~3e-5).
    /// </summary>
    public static Tensor Sinusoid(Tensor timestep, long batch, int freqDim)
    {
        double[] t = timestep.detach().cpu().to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        if (t.Length != 1 && t.Length != batch)
        {
            throw new ArgumentException($"{t.Length} timesteps for a batch of {batch}: give one or one per latent.", nameof(timestep));
        }
        int half = freqDim / 2;
        var values = new float[batch * freqDim];
        for (long i = 0; i < batch; i++)
        {
            double ti = t.Length == 1 ? t[0] : t[i];
            for (int k = 0; k < half; k++)
            {
                double angle = ti * Math.Pow(10000.0, -(double)k / half);
                values[i * freqDim + k] = (float)Math.Cos(angle);
                values[i * freqDim + half + k] = (float)Math.Sin(angle);
            }
        }
        // Copied into libtorch's own (aligned) storage: a tensor over the managed array may sit at any alignment, and
        // MKL's sgemm then rounds differently from call to call (measured: time_embedding off by 9e-8 between two calls).
        using Tensor wrapped = tensor(values, [batch, freqDim]);
        return wrapped.clone();
    }

    private Tensor PadText(Tensor context, long batch)
    {
        WanTransformerConfig c = Config;
        if (context.dim() != 3 || context.shape[0] != batch || context.shape[2] != c.TextDim || context.shape[1] > c.TextLen)
        {
            throw new ArgumentException($"context [{string.Join(", ", context.shape)}] must be [{batch}, <= {c.TextLen}, {c.TextDim}].", nameof(context));
        }
        long missing = c.TextLen - context.shape[1];
        Tensor valid = context.to(ComputeType);
        return missing == 0 ? valid : cat([valid, zeros([batch, missing, c.TextDim], ComputeType, context.device)], 1);
    }
}
