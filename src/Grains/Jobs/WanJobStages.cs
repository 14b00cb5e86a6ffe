using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Models.Serving;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Vae;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// What a Wan job does on its own silo around the sampling its shards do: before, clean + tokenise + encode the prompt
/// and the negative prompt once (through the silo's embedding cache, keyed by content hash) and, for image-to-video,
/// encode the image with the VAE into the condition <c>y</c> (<see cref="WanImageCondition"/>); during, each window's
/// conditioning tensors (the embeddings, the window's slice of <c>y</c>) and the guidance of the expert a step runs;
/// after, decode the final latent with the VAE into 8-bit frames. The decode runs here, on the job's silo, in one piece
/// (a decode plan spread over shards is a later step).
/// </summary>
public sealed class WanJobStages : IDisposable
{
    private readonly JobSpec _spec;
    private readonly WanJobModel _model;
    private readonly Tensor? _condition;
    private readonly Dictionary<int, Tensor> _continued = [];

    private WanJobStages(JobSpec spec, WanJobModel model, EncodedPrompt prompt, EncodedPrompt negative, Tensor? condition, double textSeconds, double conditionSeconds)
    {
        _spec = spec;
        _model = model;
        Prompt = prompt;
        Negative = negative;
        _condition = condition;
        TextSeconds = textSeconds;
        ConditionSeconds = conditionSeconds;
        Boundary = model.Folder.Component("transformer") is null ? model.Folder.Boundary : null;
    }

    /// <summary>The prompt's embedding <c>[L, dim]</c> (its key names its content hash).</summary>
    public EncodedPrompt Prompt { get; }

    /// <summary>The negative prompt's embedding.</summary>
    public EncodedPrompt Negative { get; }

    /// <summary>Two-expert models: the boundary (the high-noise expert while the timestep is at least 1000 times it); null otherwise.</summary>
    public double? Boundary { get; }

    /// <summary>Seconds to encode both prompts (or find them in the cache).</summary>
    public double TextSeconds { get; }

    /// <summary>Image-to-video: seconds to encode the image into the condition; 0 otherwise.</summary>
    public double ConditionSeconds { get; }

    /// <summary>Encodes the prompts (and the image) of <paramref name="spec"/> with <paramref name="model"/>.</summary>
    public static WanJobStages Prepare(JobSpec spec, WanJobModel model)
    {
        lock (model.Gate)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            IReadOnlyList<EncodedPrompt> encoded = model.Text.Encode([spec.Prompt, spec.NegativePrompt]);
            double text = clock.Elapsed.TotalSeconds;
            clock.Restart();
            Tensor? condition = null;
            try
            {
                if (spec.Image is { } image)
                {
                    // Chained: the first window is a video of its own, the image its first frame; the others continue it (Continue).
                    int frames = spec.Join == Contracts.Jobs.WindowJoin.Chained ? Math.Min(spec.Frames, spec.WindowLength) : spec.Frames;
                    condition = WanImageCondition.Build(model.Vae, image, spec.Height, spec.Width, frames);
                }
                return new WanJobStages(spec, model, encoded[0], encoded[1], condition, text, spec.Image is null ? 0 : clock.Elapsed.TotalSeconds);
            }
            catch
            {
                condition?.Dispose();
                foreach (EncodedPrompt prompt in encoded)
                {
                    prompt.Embedding.Dispose();
                }
                throw;
            }
        }
    }

    /// <summary>The latent a Wan job samples, without the batch axis: <c>[16, latent frames, H / 8, W / 8]</c>.</summary>
    public static long[] SampleShape(JobSpec spec) => [WanPipeline.LatentChannels, spec.LatentFrames, spec.Height / 8, spec.Width / 8];

    /// <summary>
    /// The guidance of the expert that runs at <paramref name="timestep"/>: the high-noise expert's (<see cref="JobSpec.Guidance"/>)
    /// while the timestep is at least the boundary times 1000 (as <see cref="Sampling.Fields.TwoExpertField"/> and the shard
    /// choose), the low-noise expert's after; the one guidance of a one-transformer model.
    /// </summary>
    public double GuidanceAt(double timestep) => IsLowNoise(timestep) ? _spec.GuidanceLowNoise ?? _spec.Guidance : _spec.Guidance;

    /// <summary>Two-expert models: the expert that runs at <paramref name="timestep"/> (<c>high_noise</c> or <c>low_noise</c>), the name shards hold it under.</summary>
    public string ExpertAt(double timestep) => Loom.Models.Wan.Serving.WanModelFamily.Roles(_model.Folder)[IsLowNoise(timestep) ? 1 : 0];

    private bool IsLowNoise(double timestep) => Boundary is double boundary && timestep < boundary * FlowSchedule.TrainTimesteps;

    /// <summary>
    /// What <paramref name="window"/> sends its shards: the prompts' embeddings and, for image-to-video, the window's slice
    /// of the condition <c>y</c> <c>[1, 20, L, h, w]</c>, float32 (the shard computes on what this process has); the guidance by expert.
    /// </summary>
    public WindowInputs Inputs(TemporalWindow window)
    {
        var tensors = new List<ConditioningTensor> { Wire(ConditioningNames.Prompt, Prompt.Embedding), Wire(ConditioningNames.NegativePrompt, Negative.Embedding) };
        if (_continued.TryGetValue(window.Index, out Tensor? continued))
        {
            tensors.Add(Wire(ConditioningNames.Image, continued));
        }
        else if (_condition is not null)
        {
            using var scope = NewDisposeScope();
            tensors.Add(Wire(ConditioningNames.Image, _condition.narrow(2, window.Start, window.Length)));
        }
        return new WindowInputs(tensors, GuidanceAt, Boundary is null ? null : ExpertAt);
    }

    private static ConditioningTensor Wire(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        Tensor values = tensor.to(ScalarType.Float32).contiguous();
        return new ConditioningTensor(name, values.shape, WireCodec.Encode(values, WirePrecision.Float32));
    }

    /// <summary>Chained image-to-video: <see cref="Continue"/>, which conditions each window on the one before; null otherwise.</summary>
    public WindowContinuation? Continuation => _spec.Join == Contracts.Jobs.WindowJoin.Chained && _condition is not null ? Continue : null;

    /// <summary>
    /// Chained image-to-video (a <see cref="WindowContinuation"/>): the condition of <paramref name="next"/>, built from
    /// <paramref name="previous"/>'s sampled latent as <see cref="WanImageCondition.Continue"/> says: its last frames,
    /// decoded and encoded again, are the next window's first.
    /// </summary>
    public void Continue(TemporalWindow previous, Tensor previousLatent, TemporalWindow next)
    {
        lock (_model.Gate)
        {
            Tensor y = WanImageCondition.Continue(_model.Vae, previousLatent, previous.End - next.Start, 4 * (next.Length - 1) + 1);
            if (_continued.Remove(next.Index, out Tensor? old))
            {
                old.Dispose();
            }
            _continued[next.Index] = y;
        }
    }

    /// <summary>The final latent <c>[1, 16, T, h, w]</c> decoded to 8-bit frames, RGB bytes <c>[F, H, W, 3]</c>.</summary>
    public byte[] Decode(Tensor latent)
    {
        lock (_model.Gate)
        {
            using (no_grad())
            using (NewDisposeScope())
            {
                return WanVae.ToUInt8(_model.Vae.Decode(latent.to(ScalarType.Float32).contiguous())).bytes.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Prompt.Embedding.Dispose();
        Negative.Embedding.Dispose();
        _condition?.Dispose();
        foreach (Tensor y in _continued.Values)
        {
            y.Dispose();
        }
    }
}
