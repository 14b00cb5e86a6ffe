using System.Security.Cryptography;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Models.Wan.Folders;
using Loom.Models.Weights;
using Loom.Models.WorldModel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Shards;

/// <summary>
/// The models this silo can serve: every world-model file in the model directory, named by its file name without
/// <c>-world-model.safetensors</c> (so the bundled file serves as <c>physics</c>). Shapes are read once from metadata.
/// At start it logs each model it found and each file or folder it skipped, with the reason; Wan model folders are
/// recognised (<see cref="WanModelFolder"/>) and listed in <see cref="WanModels"/>, not served yet.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, (string Path, ModelShape Shape, long Bytes)> _models = new(StringComparer.Ordinal);

    /// <summary>Scans <see cref="LoomOptions.ModelDirectory"/>, logging what it serves and what it skips.</summary>
    public ModelCatalog(IOptions<LoomOptions> options, ILogger<ModelCatalog> logger)
    {
        string directory = options.Value.ModelDirectory;
        if (!Directory.Exists(directory))
        {
            logger.LogWarning("Models folder {Directory} does not exist: no models served", Path.GetFullPath(directory));
            return;
        }
        foreach (string path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (!path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                Skip(logger, path);
                continue;
            }
            string name = Path.GetFileName(path).Replace(".safetensors", "", StringComparison.Ordinal).Replace("-world-model", "", StringComparison.Ordinal);
            IReadOnlyDictionary<string, string> metadata;
            try
            {
                // The header alone: a multi-gigabyte Wan shard dropped here must not be read whole to be skipped.
                metadata = SafeTensorsHeader.Read(path).Metadata;
            }
            catch (InvalidDataException e)
            {
                logger.LogWarning("Skipped {File}: not a readable safetensors file ({Error})", path, e.Message);
                continue;
            }
            if (!metadata.TryGetValue(WorldModelWeights.ConfigKey, out string? json))
            {
                Skip(logger, path);
                continue;
            }
            var config = System.Text.Json.JsonSerializer.Deserialize<WorldModelConfig>(json)!;
            using FileStream stream = File.OpenRead(path);
            string sha = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
            _models[name] = (path, new ModelShape(name, config.Height, config.Width, config.Patch, config.MaxFrames, sha), stream.Length);
            logger.LogInformation("Model {Name}: physics world model {File}, {Bytes} bytes, {Width}x{Height}, patch {Patch}, sha256 {Sha}", name, path, stream.Length, config.Width, config.Height, config.Patch, sha);
        }
        var wan = new List<WanModelFolder>();
        foreach (WanModelFolder folder in WanModelFolder.Scan(directory))
        {
            if (folder.IsModel)
            {
                wan.Add(folder);
                logger.LogInformation(
                    "Found Wan model {Name}: {Family} {Kind}, {Layout} layout, {Bytes} bytes in {Directory} (recognised; Wan jobs are not served by this version)",
                    folder.Name, folder.Family, folder.Kind, folder.Layout, folder.Bytes, folder.Directory);
            }
            else
            {
                logger.LogWarning("Skipped folder {Directory}: {Reasons}", folder.Directory, string.Join(" ", folder.Problems));
            }
        }
        WanModels = wan;
    }

    /// <summary>The complete Wan model folders found in the models folder (recognised, not yet served).</summary>
    public IReadOnlyList<WanModelFolder> WanModels { get; } = [];

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

    /// <summary>
    /// Logs why a file at the top of the models folder is not served: a Wan file or other weights as a warning (someone
    /// meant them to be served), anything else (a README, a loss curve) at debug level.
    /// </summary>
    private static void Skip(ILogger logger, string path)
    {
        string name = Path.GetFileName(path);
        if (WanModelFiles.IsWanFile(name))
        {
            logger.LogWarning("Skipped {File}: a Wan file on its own; a Wan model is a folder holding all its files (config, transformer, VAE, text encoder, tokenizer), e.g. models/Wan2.1-T2V-1.3B/ as loom models pull writes it", path);
        }
        else if (name.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            logger.LogWarning("Skipped {File}: its metadata has no '{Key}' entry, so it is not a Loom world model", path, WorldModelWeights.ConfigKey);
        }
        else if (Path.GetExtension(name) is ".pth" or ".pt" or ".bin" or ".ckpt" or ".gguf")
        {
            logger.LogWarning("Skipped {File}: weights Loom does not read on their own (world models are *.safetensors, Wan models are folders)", path);
        }
        else
        {
            logger.LogDebug("Skipped {File}: not a model file", path);
        }
    }
}
