using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Transformer;
using Loom.Sampling.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Serving;

/// <summary>
/// A Wan transformer behind the model socket. Each window brings its text (<see cref="ConditioningNames.Prompt"/>,
/// <see cref="ConditioningNames.NegativePrompt"/>) and, for image-to-video, its condition <see cref="ConditioningNames.Image"/>;
/// CFG runs both branches in one forward pass (<see cref="WanBatch"/>, as the in-process <see cref="WanVelocityField"/>
/// does). Wan2.2 A14B's two experts load each on its own (<see cref="IExpertShardModel"/>): a shard may hold one of them;
/// each window's expert follows from its integer timestep, as <see cref="Sampling.Fields.TwoExpertField"/> picks it, and
/// windows of one batch on different sides of the boundary run as two passes.
/// </summary>
public sealed class WanShardModel : IExpertShardModel
{
    private readonly WanModelFolder _folder;
    private readonly ScalarType _computeType;
    private readonly string[] _roles;
    private readonly WanTransformerConfig _config;
    private readonly WanTransformer?[] _loaded;

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
        _roles = WanModelFamily.Roles(folder);
        _config = WanModelFamily.Config(folder, folder.Component(_roles[0])!);
        _loaded = new WanTransformer?[_roles.Length];
        Boundary = _roles.Length == 2 ? folder.Boundary : null;
    }

    /// <inheritdoc />
    public ShardModelInfo Info { get; }

    /// <summary>The expert boundary of a two-expert model (high-noise expert while t &gt;= Boundary * 1000); null otherwise.</summary>
    public double? Boundary { get; }

    /// <inheritdoc />
    public bool IsLoaded => _loaded.All(m => m is not null);

    /// <inheritdoc />
    public IReadOnlyList<string> Experts => _roles;

    /// <inheritdoc />
    public IReadOnlyList<string> LoadedExperts => _roles.Where((_, i) => _loaded[i] is not null).ToArray();

    /// <inheritdoc />
    public void Load(Device device)
    {
        foreach (string role in _roles)
        {
            LoadExpert(role, device);
        }
    }

    /// <inheritdoc />
    public void LoadExpert(string expert, Device device)
    {
        int index = Index(expert);
        if (_loaded[index] is not null)
        {
            return;
        }
        WanTransformer model = WanPipeline.LoadTransformer(_folder, _folder.Component(expert)!, _computeType);
        try
        {
            if (device.type != DeviceType.CPU)
            {
                model.to(device);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        _loaded[index] = model;
    }

    /// <inheritdoc />
    public void UnloadExpert(string expert)
    {
        int index = Index(expert);
        _loaded[index]?.Dispose();
        _loaded[index] = null;
    }

    /// <summary>The expert that evaluates at <paramref name="timestep"/>: 0 (the only one, or high noise) or 1 (low noise).</summary>
    public int Expert(double timestep) => Boundary is double boundary && timestep < boundary * FlowSchedule.TrainTimesteps ? 1 : 0;

    /// <inheritdoc />
    public string ExpertAt(double timestep) => _roles[Expert(timestep)];

    /// <inheritdoc />
    public void Check(ModelWindow window) => _ = Input(window);

    /// <inheritdoc />
    public Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows)
    {
        WanWindowInput[] inputs = windows.Select(Input).ToArray();
        var results = new Tensor[windows.Count];
        foreach (IGrouping<int, int> group in Enumerable.Range(0, windows.Count).GroupBy(i => Expert(windows[i].Timestep)))
        {
            WanTransformer expert = _loaded[group.Key]
                ?? throw new InvalidOperationException($"model {Info.Name}: expert {_roles[group.Key]} is not loaded on this shard.");
            int[] members = [.. group];
            Tensor[] velocities = WanBatch.Evaluate(expert, members.Select(i => inputs[i]).ToArray());
            for (int j = 0; j < members.Length; j++)
            {
                results[members[j]] = velocities[j];
            }
        }
        return results;
    }

    private int Index(string expert)
    {
        int index = Array.IndexOf(_roles, expert);
        return index >= 0 ? index : throw new ArgumentException($"model {Info.Name} has no expert '{expert}' (it has {string.Join(", ", _roles)}).", nameof(expert));
    }

    private WanWindowInput Input(ModelWindow window)
    {
        WanTransformerConfig config = _config;
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
        for (int i = 0; i < _loaded.Length; i++)
        {
            _loaded[i]?.Dispose();
            _loaded[i] = null;
        }
    }
}
