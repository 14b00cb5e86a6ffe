using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Transformer;
using Loom.Models.Wan.Vae;
using Loom.Sampling.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Serving;

/// <summary>
/// A Wan transformer behind the model socket. Each window brings its text (<see cref="ConditioningNames.Prompt"/>,
/// <see cref="ConditioningNames.NegativePrompt"/>) and, for image-to-video, its condition <see cref="ConditioningNames.Image"/>;
/// CFG runs both branches in one forward pass (<see cref="WanBatch"/>, as the in-process <see cref="WanVelocityField"/>
/// does). Wan2.2 A14B holds both experts and picks one per window from its integer timestep, as
/// <see cref="Sampling.Fields.TwoExpertField"/> does: windows of one batch on different sides of the boundary run as two passes.
/// The VAE is loaded on the first chunk of a decode plan the shard is given (<see cref="IShardDecoder"/>), not before.
/// </summary>
public sealed class WanShardModel : IShardModel, IShardDecoder
{
    private readonly WanModelFolder _folder;
    private readonly ScalarType _computeType;
    private WanTransformer[]? _experts;
    private WanVae? _vae;
    private Device _device = CPU;

    /// <summary>An unloaded model for <paramref name="folder"/>, computed in <paramref name="computeType"/>.</summary>
    public WanShardModel(ShardModelInfo info, WanModelFolder folder, ScalarType computeType)
    {
        if (!folder.IsModel)
        {
            throw new InvalidDataException($"{folder.Directory}: not a usable Wan model: {string.Join(" ", folder.Problems)}");
        }
        Info = info;
        _folder = folder;
        _computeType = computeType;
        Boundary = WanModelFamily.Roles(folder).Length == 2 ? folder.Boundary : null;
    }

    /// <inheritdoc />
    public ShardModelInfo Info { get; }

    /// <summary>The expert boundary of a two-expert model (high-noise expert while t &gt;= Boundary * 1000); null otherwise.</summary>
    public double? Boundary { get; }

    /// <inheritdoc />
    public bool IsLoaded => _experts is not null;

    /// <inheritdoc />
    public void Load(Device device)
    {
        if (_experts is not null)
        {
            return;
        }
        var loaded = new List<WanTransformer>();
        try
        {
            foreach (string role in WanModelFamily.Roles(_folder))
            {
                WanTransformer model = WanPipeline.LoadTransformer(_folder, _folder.Component(role)!, _computeType);
                loaded.Add(model);
                if (device.type != DeviceType.CPU)
                {
                    model.to(device);
                }
            }
        }
        catch
        {
            loaded.ForEach(m => m.Dispose());
            throw;
        }
        _experts = [.. loaded];
        _device = device;
    }

    /// <summary>The expert that evaluates at <paramref name="timestep"/>: 0 (the only one, or high noise) or 1 (low noise).</summary>
    public int Expert(double timestep) => Boundary is double boundary && timestep < boundary * FlowSchedule.TrainTimesteps ? 1 : 0;

    /// <inheritdoc />
    public void Check(ModelWindow window) => _ = Input((_experts ?? throw new InvalidOperationException($"model {Info.Name} is not loaded."))[0].Config, window);

    /// <inheritdoc />
    public Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows)
    {
        WanTransformer[] experts = _experts ?? throw new InvalidOperationException($"model {Info.Name} is not loaded.");
        WanWindowInput[] inputs = windows.Select(w => Input(experts[0].Config, w)).ToArray();
        var results = new Tensor[windows.Count];
        foreach (IGrouping<int, int> group in Enumerable.Range(0, windows.Count).GroupBy(i => Expert(windows[i].Timestep)))
        {
            int[] members = [.. group];
            Tensor[] velocities = WanBatch.Evaluate(experts[group.Key], members.Select(i => inputs[i]).ToArray());
            for (int j = 0; j < members.Length; j++)
            {
                results[members[j]] = velocities[j];
            }
        }
        return results;
    }

    /// <inheritdoc />
    public Tensor DecodeChunk(Tensor latents, int warmUpStart, int latentStart)
    {
        int n = latents.dim() == 5 ? (int)latents.shape[2] : 0;
        if (n < 1 || latents.shape[0] != 1 || warmUpStart < 0 || latentStart < warmUpStart || latentStart >= warmUpStart + n)
        {
            throw new ArgumentException($"latents [{string.Join(", ", latents.shape)}] from latent frame {warmUpStart} must be [1, C, n, h, w] and hold latent frame {latentStart} for {Info.Name}.", nameof(latents));
        }
        _vae ??= LoadVae();
        // The frame range only names the chunk; the decode reads warm-up start, kept start and length.
        var chunk = new WanVaeDecodeChunk(0, warmUpStart, latentStart, warmUpStart + n, 0, 0);
        using var scope = NewDisposeScope();
        using Tensor frames = _vae.DecodeChunk(latents, chunk);
        return WanVae.ToUInt8(frames)[0].cpu().MoveToOuterDisposeScope();
    }

    private WanVae LoadVae()
    {
        WanVae vae = WanVaeWeights.Load(_folder.Component("vae")!.Path, _computeType);
        if (_device.type != DeviceType.CPU)
        {
            vae.to(_device);
        }
        return vae;
    }

    private WanWindowInput Input(WanTransformerConfig config, ModelWindow window)
    {
        if (window.Latent.dim() != 5 || window.Latent.shape[1] != config.OutDim)
        {
            throw new ArgumentException($"latent [{string.Join(", ", window.Latent.shape)}] must be [b, {config.OutDim}, F, h, w] for {Info.Name}.", nameof(window));
        }
        Tensor prompt = window.Require(ConditioningNames.Prompt, $"{Info.Name} needs the prompt's text embedding");
        Tensor? negative = window.Guidance > 1.0
            ? window.Require(ConditioningNames.NegativePrompt, $"guidance {window.Guidance} > 1 needs the negative prompt's embedding")
            : null;
        Tensor? condition = null;
        if (config.IsImageToVideo)
        {
            condition = window.Require(ConditioningNames.Image, $"{Info.Name} is image-to-video and needs the window's condition y");
        }
        else if (window.Find(ConditioningNames.Image) is not null)
        {
            throw new ArgumentException($"conditioning '{ConditioningNames.Image}': {Info.Name} is text-to-video and takes no image condition.", nameof(window));
        }
        return new WanWindowInput(window.Latent, window.Timestep, prompt, negative, window.Guidance, condition);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (WanTransformer model in _experts ?? [])
        {
            model.Dispose();
        }
        _experts = null;
        _vae?.Dispose();
        _vae = null;
    }
}
