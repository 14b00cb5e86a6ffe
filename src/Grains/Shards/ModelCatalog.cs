using System.Security.Cryptography;
using Loom.Grains.Jobs;
using Loom.Models.WorldModel;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Shards;

/// <summary>
/// The models this silo can serve: every world-model file in the model directory, named by its file name without
/// <c>-world-model.safetensors</c> (so the bundled file serves as <c>physics</c>). Shapes are read once from metadata.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, (string Path, ModelShape Shape, long Bytes)> _models = new(StringComparer.Ordinal);

    /// <summary>Scans <see cref="LoomOptions.ModelDirectory"/>.</summary>
    public ModelCatalog(IOptions<LoomOptions> options)
    {
        string directory = options.Value.ModelDirectory;
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (string path in Directory.EnumerateFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path).Replace(".safetensors", "", StringComparison.Ordinal).Replace("-world-model", "", StringComparison.Ordinal);
            Dictionary<string, string> metadata = WorldModelWeights.Metadata(path);
            if (!metadata.TryGetValue(WorldModelWeights.ConfigKey, out string? json))
            {
                continue;
            }
            var config = System.Text.Json.JsonSerializer.Deserialize<WorldModelConfig>(json)!;
            using FileStream stream = File.OpenRead(path);
            string sha = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
            _models[name] = (path, new ModelShape(name, config.Height, config.Width, config.Patch, config.MaxFrames, sha), stream.Length);
        }
    }

    /// <summary>Served models by name.</summary>
    public IReadOnlyDictionary<string, ModelShape> Shapes => _models.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

    /// <summary>
    /// Rough seconds to load <paramref name="name"/> onto a shard that lacks it (its size at 1 GB/s plus 50 ms): the
    /// price placement weighs against a loaded shard's queue. Small here; about a minute for a 14B model.
    /// </summary>
    public double LoadSeconds(string name) => _models.TryGetValue(name, out var entry) ? 0.05 + entry.Bytes / 1e9 : 0.05;

    /// <summary>The shape of <paramref name="name"/>.</summary>
    /// <exception cref="ShardUnavailableException">The model is not served here.</exception>
    public ModelShape Shape(string name) => _models.TryGetValue(name, out var entry)
        ? entry.Shape
        : throw new ShardUnavailableException($"model '{name}' is not served by this silo.");

    /// <summary>Loads a fresh copy of <paramref name="name"/> (each shard holds its own, as each GPU would).</summary>
    /// <exception cref="ShardUnavailableException">The model is not served here.</exception>
    public PhysicsWorldModel Load(string name) => _models.TryGetValue(name, out var entry)
        ? WorldModelWeights.Load(entry.Path)
        : throw new ShardUnavailableException($"model '{name}' is not served by this silo.");
}
