using System.Diagnostics;
using System.Security.Cryptography;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Transformer;
using Loom.Models.Wan.Vae;
using Loom.Models.Weights;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// A Wan model folder loaded in this process, rendering prompts to frames: clean, tokenise and encode the prompt and
/// the negative prompt through the embedding cache; image-to-video: encode the image into the condition <c>y</c>;
/// sample the latent with <see cref="WindowedSampler"/> (co-denoised windows, one window for a short video; or
/// independent ones for text-to-video, or chained ones continuing through the image condition for image-to-video) over
/// <see cref="WanVelocityField"/>s (CFG batched; Wan2.2's two experts switched per step by <see cref="TwoExpertField"/>),
/// with P&amp;P as the plan says and noise from the seed; decode with the VAE to 8-bit frames.
/// </summary>
public sealed class WanPipeline : IDisposable
{
    /// <summary>Latent channels of the Wan2.1 VAE.</summary>
    public const int LatentChannels = 16;

    private readonly WanTransformer[] _transformers;
    private readonly string[] _names;
    private readonly WanVae _vae;
    private readonly UmT5TextEncoder _text;
    private readonly object _gate = new();

    private WanPipeline(WanModelFolder folder, WanTransformer[] transformers, string[] names, WanVae vae, UmT5TextEncoder text)
    {
        Folder = folder;
        Kind = folder.Kind!;
        Defaults = WanDefaults.For(Kind);
        _transformers = transformers;
        _names = names;
        _vae = vae;
        _text = text;
    }

    /// <summary>The model folder.</summary>
    public WanModelFolder Folder { get; }

    /// <summary>The model's kind (<see cref="WanKind"/>).</summary>
    public string Kind { get; }

    /// <summary>The family's sampling defaults.</summary>
    public WanDefaults Defaults { get; }

    /// <summary>True for the image-to-video kinds.</summary>
    public bool IsImageToVideo => _transformers[0].Config.IsImageToVideo;

    /// <summary>The expert boundary of a two-expert model (high-noise expert while t &gt;= Boundary * 1000); null otherwise.</summary>
    public double? Boundary => _transformers.Length == 2 ? Folder.Boundary : null;

    /// <summary>The text encoder (its <see cref="UmT5TextEncoder.PromptsEncoded"/> counts cache misses).</summary>
    public UmT5TextEncoder Text => _text;

    /// <summary>
    /// Loads the model in <paramref name="directory"/> (official or Diffusers layout), its prompt embeddings cached in
    /// <paramref name="cache"/> (share one across pipelines to reuse them; keyed by the encoder's weights and the text).
    /// </summary>
    /// <exception cref="InvalidDataException">The folder is not a usable Wan model (every problem listed), or a kind the pipeline does not run.</exception>
    public static WanPipeline Load(string directory, ITextEmbeddingCache cache, WanPipelineOptions? options = null)
    {
        options ??= WanPipelineOptions.Float32;
        WanModelFolder folder = WanModelFolder.Inspect(directory);
        if (!folder.IsModel)
        {
            throw new InvalidDataException($"{directory}: not a usable Wan model: {string.Join(" ", folder.Problems)}");
        }
        if (folder.Kind is not (WanKind.T2V or WanKind.I2V or WanKind.T2VA14B or WanKind.I2VA14B))
        {
            throw new InvalidDataException($"{directory}: a {folder.Kind} model; the Wan pipeline runs t2v, i2v, t2v-a14b and i2v-a14b.");
        }
        string[] roles = folder.Component("transformer") is null ? ["high_noise", "low_noise"] : ["transformer"];
        var transformers = new List<WanTransformer>();
        WanVae? vae = null;
        try
        {
            foreach (string role in roles)
            {
                transformers.Add(LoadTransformer(folder, folder.Component(role)!, options.ComputeType));
            }
            vae = WanVaeWeights.Load(folder.Component("vae")!.Path, options.ComputeType);
            UmT5TextEncoder text = UmT5TextEncoder.Load(
                folder.Component("tokenizer")!.Path,
                folder.Component("text_encoder")!.Path,
                new WanTextEncoderOptions(DType: options.TextType, TextLength: transformers[0].Config.TextLen),
                cache);
            return new WanPipeline(folder, [.. transformers], roles, vae, text);
        }
        catch
        {
            transformers.ForEach(t => t.Dispose());
            vae?.Dispose();
            throw;
        }
    }

    /// <summary>Renders <paramref name="request"/>; unset settings take <see cref="Defaults"/>.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; <see cref="ArgumentException.ParamName"/> names the field.</exception>
    public async Task<WanRenderResult> RenderAsync(WanRenderRequest request, Action<StepReport>? onStep = null, CancellationToken cancellationToken = default)
    {
        int steps = request.Steps ?? Defaults.Steps;
        double shift = request.Shift ?? Defaults.Shift;
        IReadOnlyList<double> guidance = request.Guidance ?? Defaults.Guidance;
        var refinement = new RefinementOptions(RefinementPlan.Parse(request.Plan ?? Defaults.Plan), request.Tau ?? Defaults.Tau);
        Validate(request, guidance);
        int latentFrames = (request.Frames - 1) / 4 + 1;
        int windowLatents = request.WindowFrames is int w ? (w - 1) / 4 + 1 : latentFrames;
        WindowPlan windows = NewWindowPlan(latentFrames, windowLatents, request.WindowOverlap);
        var schedule = FlowSchedule.Create(steps, shift, ScheduleKind.Wan);
        long[] sampleShape = [LatentChannels, latentFrames, request.Height / 8, request.Width / 8];

        var clock = Stopwatch.StartNew();
        IReadOnlyList<EncodedPrompt> encoded = _text.Encode([request.Prompt, request.NegativePrompt ?? Defaults.NegativePrompt]);
        double textSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        // Chained: the first window is a video of its own, the image its first frame; the others continue it.
        int conditionFrames = request.Join == WindowJoin.Chained ? 4 * (windows.Windows[0].Length - 1) + 1 : request.Frames;
        Tensor? condition = IsImageToVideo ? WanImageCondition.Build(_vae, request.Image!, request.Height, request.Width, conditionFrames) : null;
        double conditionSeconds = IsImageToVideo ? clock.Elapsed.TotalSeconds : 0;
        var continued = new Dictionary<int, Tensor>();
        void Continue(TemporalWindow previous, Tensor previousLatent, TemporalWindow next)
            => continued[next.Index] = WanImageCondition.Continue(_vae, previousLatent, previous.End - next.Start, 4 * (next.Length - 1) + 1);

        var experts = new string?[steps];
        void Record(StepContext context, string name)
        {
            lock (experts)
            {
                string? seen = experts[context.Step];
                experts[context.Step] = seen is null || seen == name ? name : $"{seen}+{name}";
            }
        }
        var fields = new List<WanVelocityField>();
        IVelocityField WindowField(TemporalWindow window, FrameConditioning? given)
        {
            using var scope = NewDisposeScope();
            Tensor? y = continued.TryGetValue(window.Index, out Tensor? next) ? next : condition?.narrow(2, window.Start, window.Length);
            var perExpert = _transformers.Select((model, i) => new WanVelocityField(
                model, _names[i], encoded[0].Embedding, encoded[1].Embedding, guidance[Math.Min(i, guidance.Count - 1)], y, _gate, Record)).ToArray();
            lock (fields)
            {
                fields.AddRange(perExpert);
            }
            return perExpert.Length == 1 ? perExpert[0] : new TwoExpertField(perExpert[0], perExpert[1], Boundary!.Value);
        }

        try
        {
            clock.Restart();
            var sampler = new WindowedSampler(windows, request.Join, WindowField, schedule, refinement,
                continuation: request.Join == WindowJoin.Chained ? Continue : null);
            using WindowedResult sampled = await sampler.SampleAsync([request.Seed], sampleShape, null, onStep, cancellationToken).ConfigureAwait(false);
            double samplingSeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            byte[] rgb;
            string latentHash;
            using (no_grad())
            using (NewDisposeScope())
            {
                Tensor latent = sampled.Latent.to(ScalarType.Float32).contiguous();
                latentHash = Convert.ToHexStringLower(SHA256.HashData(latent.bytes));
                rgb = WanVae.ToUInt8(_vae.Decode(latent)).bytes.ToArray();
            }
            double decodeSeconds = clock.Elapsed.TotalSeconds;
            return new WanRenderResult(
                rgb, request.Frames, request.Height, request.Width, latentHash, sampled.Steps, experts.Select(e => e ?? "").ToArray(),
                encoded[0].FromCache, encoded[1].FromCache, windows.Windows.Count, textSeconds, conditionSeconds, samplingSeconds, decodeSeconds);
        }
        finally
        {
            fields.ForEach(f => f.Dispose());
            condition?.Dispose();
            foreach (Tensor y in continued.Values)
            {
                y.Dispose();
            }
            foreach (EncodedPrompt prompt in encoded)
            {
                prompt.Embedding.Dispose();
            }
        }
    }

    private void Validate(WanRenderRequest request, IReadOnlyList<double> guidance)
    {
        static void Require(bool ok, string field, string message)
        {
            if (!ok)
            {
                throw new ArgumentException($"{field}: {message}", field);
            }
        }
        Require(request.Frames >= 1 && (request.Frames - 1) % 4 == 0, "frames", $"{request.Frames} is not 4k + 1 (1, 5, 9, ..., 81): the VAE packs the first frame alone and 4 per latent frame after.");
        Require(request.Width >= 16 && request.Width % 16 == 0, "width", $"{request.Width} must be a positive multiple of 16 (VAE stride 8 times patch 2).");
        Require(request.Height >= 16 && request.Height % 16 == 0, "height", $"{request.Height} must be a positive multiple of 16 (VAE stride 8 times patch 2).");
        Require(guidance.Count == 1 || guidance.Count == _transformers.Length, "guidance",
            _transformers.Length == 2 ? "give one value or two (high-noise expert, low-noise expert)." : "this model has one transformer: give one value.");
        Require(guidance.All(g => double.IsFinite(g) && g >= 0), "guidance", "every value must be a finite number >= 0.");
        Require(IsImageToVideo == request.Image is not null, "image", IsImageToVideo ? $"a {Kind} model needs the first frame." : $"a {Kind} model takes no image.");
        Require(request.Join != WindowJoin.Chained || IsImageToVideo, "join", $"chained windows continue one another through the image-to-video condition; a {Kind} model has none.");
        Require(request.Join != WindowJoin.Independent || !IsImageToVideo, "join", $"the windows of a {Kind} model follow its image: co-denoise or chained.");
        if (request.WindowFrames is int window)
        {
            Require(window >= 1 && (window - 1) % 4 == 0, "window_frames", $"{window} is not 4k + 1 pixel frames.");
        }
    }

    private static WindowPlan NewWindowPlan(int latentFrames, int windowLatents, int overlap)
    {
        try
        {
            return new WindowPlan(latentFrames, windowLatents, Math.Min(overlap, windowLatents - 1));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException(e.Message, e.ParamName == "overlap" ? "window_overlap" : "window_frames", e);
        }
    }

    /// <summary>Loads one transformer component of <paramref name="folder"/> in <paramref name="computeType"/> from its memory-mapped files.</summary>
    internal static WanTransformer LoadTransformer(WanModelFolder folder, WanComponent component, ScalarType computeType)
    {
        string config = Path.Combine(folder.Directory, component.Files.Single(f => Path.GetFileName(f) == "config.json"));
        WanTransformerConfig shape = WanTransformerConfig.Parse(File.ReadAllText(config), config);
        string[] files = component.Files.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)).Select(f => Path.Combine(folder.Directory, f)).ToArray();
        var sources = new List<ITensorSource>();
        try
        {
            sources.AddRange(files.Select(f => (ITensorSource)MappedSafeTensors.Open(f)));
            using var source = new TensorSourceSet(sources);
            int? imageDim = WanWeightLoader.ImageDim(source);
            if (imageDim is not null)
            {
                throw new InvalidDataException($"{component.Path}: this transformer takes CLIP image tokens (img_emb, Wan2.1 image-to-video); the CLIP image encoder is not ported yet.");
            }
            var model = new WanTransformer(shape, computeType);
            try
            {
                WanWeightLoader.Load(model, source);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            sources.ForEach(s => s.Dispose());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (WanTransformer model in _transformers)
        {
            model.Dispose();
        }
        _vae.Dispose();
        _text.Dispose();
    }
}
