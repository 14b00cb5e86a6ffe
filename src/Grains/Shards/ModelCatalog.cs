using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Models.Serving;
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

    /// <summary>Scans <see cref="LoomOptions.ModelDirectory"/>, logging what it serves and what it skips.</summary>
    public ModelCatalog(IOptions<LoomOptions> options, ILogger<ModelCatalog> logger)
    {
        string directory = options.Value.ModelDirectory;
        if (!Directory.Exists(directory))
        {
            logger.LogWarning("Models folder {Directory} does not exist: no models served", Path.GetFullPath(directory));
            return;
        }
        foreach (ModelFound found in ModelFamilies.Scan(directory))
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
    /// The models jobs can name today, by name: those that render one fixed frame size (the job spec gives pixels and
    /// the job samples in the model's latent as it is).
    /// </summary>
    public IReadOnlyDictionary<string, ModelShape> Shapes => _models.Values.Where(m => m.Latent.FixedSize)
        .ToDictionary(m => m.Name, m => new ModelShape(m.Name, m.Latent.Height!.Value, m.Latent.Width!.Value, m.Latent.PixelMultiple, m.Latent.MaxFrames ?? int.MaxValue, m.Sha256, m.TextConditioned), StringComparer.Ordinal);

    /// <summary>
    /// Rough seconds to load <paramref name="name"/> onto a shard that lacks it (its size at 1 GB/s plus 50 ms): the
    /// price placement weighs against a loaded shard's queue. Small here; about a minute for a 14B model.
    /// </summary>
    public double LoadSeconds(string name) => _models.TryGetValue(name, out ShardModelInfo? model) ? 0.05 + model.FileBytes / 1e9 : 0.05;

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
