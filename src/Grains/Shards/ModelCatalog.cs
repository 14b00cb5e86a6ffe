using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Serving;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Shards;

/// <summary>
/// The models this silo can serve: what <see cref="ModelFamilies"/> recognises in the model directory, each described
/// from its files once (shapes, conditioning, memory). At start it logs each model found and each file or folder
/// skipped, with the reason. Which family a model belongs to (the physics world model, Wan) is known only to src/Models.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ShardModelInfo> _models = new(StringComparer.Ordinal);

    /// <summary>Scans <see cref="LoomCatalogOptions.ModelDirectory"/>, logging what it serves and what it skips.</summary>
    public ModelCatalog(IOptions<LoomCatalogOptions> options, ILogger<ModelCatalog> logger)
    {
        string directory = options.Value.ModelDirectory;
        IEnumerable<ModelFound> scanned = [];
        if (Directory.Exists(directory))
        {
            scanned = ModelFamilies.Scan(directory);
        }
        else
        {
            logger.LogWarning("Models folder {Directory} does not exist: only models named in Loom:Models are served", Path.GetFullPath(directory));
        }
        foreach (ModelFound found in scanned.Concat(Configured(options.Value.Models)))
        {
            if (found.Model is { } model)
            {
                _models[model.Name] = model;
                logger.LogInformation("Model {Name}: {Summary}", model.Name, model.Summary);
            }
            else if (found.IsFolder)
            {
                logger.LogWarning("Skipped folder {Directory}: {Reasons}", found.Path, found.Problem);
            }
            else
            {
                logger.Log(found.Warn ? LogLevel.Warning : LogLevel.Debug, "Skipped {File}: {Reason}", found.Path, found.Problem);
            }
        }
    }

    /// <summary>Every model a shard of this silo can host, by name.</summary>
    public IReadOnlyDictionary<string, ShardModelInfo> Models => _models;

    /// <summary>
    /// The models jobs can name, by name: the pixel-space models that render one fixed frame size (the job samples in
    /// their pixels), and Wan models of any size that is a multiple of 16 (the job samples in the VAE's latent).
    /// </summary>
    public IReadOnlyDictionary<string, ModelShape> Shapes => _models.Values.Where(m => m.Latent.FixedSize || m.Family == WanModelFamily.FamilyName)
        .ToDictionary(m => m.Name, ShapeOf, StringComparer.Ordinal);

    private static ModelShape ShapeOf(ShardModelInfo m)
    {
        if (m.Family != WanModelFamily.FamilyName)
        {
            return new ModelShape(m.Name, m.Latent.Height!.Value, m.Latent.Width!.Value, m.Latent.PixelMultiple, m.Latent.MaxFrames ?? int.MaxValue, m.Sha256, m.TextConditioned);
        }
        int experts = m.Memory.Parts.Count;
        bool image = m.Conditioning.Any(c => c.Name == ConditioningNames.Image);
        string kind = (image, experts) switch
        {
            (false, 1) => WanKind.T2V,
            (true, 1) => WanKind.I2V,
            (false, _) => WanKind.T2VA14B,
            (true, _) => WanKind.I2VA14B,
        };
        return new ModelShape(m.Name, 0, 0, m.Latent.PixelMultiple, m.Latent.MaxFrames ?? int.MaxValue, m.Sha256, TextConditioned: true, JobSpec.WanFamily, kind, experts, image);
    }

    /// <summary>
    /// The models named in <c>Loom:Models</c> (folder, compute dtype), recognised by their family and named as configured.
    /// </summary>
    /// <exception cref="InvalidOperationException">An entry is unusable; the message names its setting.</exception>
    private static IEnumerable<ModelFound> Configured(IReadOnlyDictionary<string, LoomModelOptions> models)
    {
        foreach (var (name, entry) in models.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (entry.Problem(name) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }
            var open = new ModelOpenOptions(entry.ComputeType == "bfloat16" ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32);
            string path = Path.GetFullPath(entry.Folder);
            ModelFound found = ModelFamilies.All.Select(f => f.Recognise(path, open)).FirstOrDefault(f => f is not null)
                ?? ModelFound.Skipped(path, $"Loom:Models:{name}: no model family recognises the folder.");
            yield return found.Model is { } model ? found with { Model = model with { Name = name } } : found;
        }
    }

    /// <summary>
    /// Rough seconds to load <paramref name="name"/> (or only its <paramref name="expert"/>) onto a shard that lacks it
    /// (its size at 1 GB/s plus 50 ms): the price placement weighs against a loaded shard's queue. Small here; about half
    /// a minute for one of Wan2.2 A14B's experts.
    /// </summary>
    public double LoadSeconds(string name, string? expert = null) => _models.TryGetValue(name, out ShardModelInfo? model)
        ? 0.05 + (expert is null ? model.FileBytes : ShardMemory.Bytes(model, expert)) / 1e9
        : 0.05;

    /// <summary>The shape of <paramref name="name"/>.</summary>
    /// <exception cref="ShardUnavailableException">The model is not served here.</exception>
    public ModelShape Shape(string name) => Shapes.TryGetValue(name, out ModelShape? shape)
        ? shape
        : throw new ShardUnavailableException($"model '{name}' is not served by this silo.");

    /// <summary>What <paramref name="name"/> is and needs.</summary>
    /// <exception cref="ShardUnavailableException">The model is not served here.</exception>
    public ShardModelInfo Info(string name) => _models.TryGetValue(name, out ShardModelInfo? model)
        ? model
        : throw new ShardUnavailableException($"model '{name}' is not served by this silo.");

    /// <summary>A fresh, unloaded copy of <paramref name="name"/> (each shard holds its own, as each GPU would).</summary>
    /// <exception cref="ShardUnavailableException">The model is not served here.</exception>
    public IShardModel Open(string name) => ModelFamilies.Open(Info(name));
}
