using Loom.Models.Analytic;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Serving;
using Loom.Models.WorldModel;

namespace Loom.Models.Serving;

/// <summary>
/// The model families shards host, and the scan of a models folder through them: each file, then each folder, in name
/// order, goes to the first family that recognises it; what none recognises is skipped with the reason.
/// </summary>
public static class ModelFamilies
{
    /// <summary>How a model that is all configuration is named: <c>NAME.model.json</c>, its <c>"family"</c> saying whose it is.</summary>
    public const string ConfigSuffix = ".model.json";

    /// <summary>Every family, in the order they are asked. A new family is one more entry.</summary>
    public static IReadOnlyList<IModelFamily> All { get; } = [new PhysicsModelFamily(), new WanModelFamily(), new Ar1ModelFamily()];

    /// <summary>What <paramref name="directory"/> holds, one entry per file or folder directly inside it; empty when it does not exist.</summary>
    public static IReadOnlyList<ModelFound> Scan(string directory, ModelOpenOptions? options = null)
    {
        options ??= new ModelOpenOptions();
        if (!Directory.Exists(directory))
        {
            return [];
        }
        var found = new List<ModelFound>();
        IEnumerable<string> entries = Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal)
            .Concat(Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal));
        foreach (string path in entries)
        {
            found.Add(All.Select(f => f.Recognise(path, options)).FirstOrDefault(f => f is not null) ?? Unrecognised(path));
        }
        return found;
    }

    /// <summary>A new, unloaded model for <paramref name="info"/>, from the family that recognised it.</summary>
    /// <exception cref="ArgumentException">No family of that name.</exception>
    public static IShardModel Open(ShardModelInfo info)
        => (All.FirstOrDefault(f => f.Name == info.Family) ?? throw new ArgumentException($"model {info.Name}: no model family '{info.Family}'.", nameof(info)))
            .Open(info);

    /// <summary>Why no family took <paramref name="path"/>: a Wan file or other weights as a warning (someone meant them to be served), anything else not.</summary>
    private static ModelFound Unrecognised(string path)
    {
        string name = Path.GetFileName(path);
        if (Directory.Exists(path))
        {
            return ModelFound.Skipped(path, "not a model folder.");
        }
        if (WanModelFiles.IsWanFile(name))
        {
            return ModelFound.Skipped(path, "a Wan file on its own; a Wan model is a folder holding all its files (config, transformer, VAE, text encoder, tokenizer), e.g. models/Wan2.1-T2V-1.3B/ as loom models pull writes it");
        }
        if (name.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return ModelFound.Skipped(path, $"its metadata has no '{WorldModelWeights.ConfigKey}' entry, so it is not a Loom world model");
        }
        if (name.EndsWith(ConfigSuffix, StringComparison.Ordinal))
        {
            return ModelFound.Skipped(path, $"its \"family\" is none of the families this build serves ({string.Join(", ", All.Select(f => f.Name))})");
        }
        if (Path.GetExtension(name) is ".pth" or ".pt" or ".bin" or ".ckpt" or ".gguf")
        {
            return ModelFound.Skipped(path, "weights Loom does not read on their own (world models are *.safetensors, Wan models are folders)");
        }
        return ModelFound.Skipped(path, "not a model file", warn: false);
    }
}
