using System.Text.Json;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// One transformer checkpoint folder as users download it: <c>config.json</c> (official or Diffusers keys) and
/// <c>diffusion_pytorch_model.safetensors</c>, or shards listed by a <c>*.safetensors.index.json</c>; a Diffusers
/// pipeline folder is followed into its <c>transformer/</c>. Stored F32, BF16 or F16; loaded into any compute dtype.
/// </summary>
public sealed class WanCheckpoint
{
    private WanCheckpoint(string directory, WanTransformerConfig config, IReadOnlyList<string> files)
    {
        Directory = directory;
        Config = config;
        Files = files;
    }

    /// <summary>The folder holding <c>config.json</c> and the weights.</summary>
    public string Directory { get; }

    /// <summary>The model's shape, <see cref="WanTransformerConfig.ImageDim"/> resolved from the weights.</summary>
    public WanTransformerConfig Config { get; }

    /// <summary>The safetensors files.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Finds the config and weight files under <paramref name="directory"/> and reads the headers (not the data).</summary>
    /// <exception cref="InvalidDataException">Something is missing or malformed; the message names the file.</exception>
    public static WanCheckpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: no such checkpoint folder.");
        }
        string pipelineTransformer = Path.Combine(directory, "transformer");
        if (!File.Exists(Path.Combine(directory, "config.json")) && System.IO.Directory.Exists(pipelineTransformer))
        {
            directory = pipelineTransformer;
        }
        string configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath))
        {
            throw new InvalidDataException($"{directory}: no config.json (a Wan transformer folder holds config.json and diffusion_pytorch_model*.safetensors).");
        }
        WanTransformerConfig config = WanTransformerConfig.Parse(File.ReadAllText(configPath), configPath);
        IReadOnlyList<string> files = WeightFiles(directory);
        using ITensorSource source = OpenSource(files);
        config = config with { ImageDim = config.ImageDim ?? WanWeightLoader.ImageDim(source) };
        return new WanCheckpoint(directory, config, files);
    }

    /// <summary>Builds the model in <paramref name="computeType"/> and fills it tensor by tensor from the memory-mapped files.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or mis-shaped; the message names it and its file.</exception>
    public WanTransformer Load(ScalarType computeType = ScalarType.Float32)
    {
        var model = new WanTransformer(Config, computeType);
        try
        {
            using ITensorSource source = OpenSource(Files);
            WanWeightLoader.Load(model, source);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static ITensorSource OpenSource(IReadOnlyList<string> files)
    {
        var sources = new List<ITensorSource>();
        try
        {
            foreach (string file in files)
            {
                sources.Add(MappedSafeTensors.Open(file));
            }
            return new TensorSourceSet(sources);
        }
        catch
        {
            sources.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static IReadOnlyList<string> WeightFiles(string directory)
    {
        string[] indexes = System.IO.Directory.GetFiles(directory, "*.safetensors.index.json");
        if (indexes.Length > 1)
        {
            throw new InvalidDataException($"{directory}: more than one *.safetensors.index.json ({string.Join(", ", indexes.Select(Path.GetFileName))}).");
        }
        if (indexes.Length == 1)
        {
            using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(indexes[0]));
            if (!index.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{indexes[0]}: no weight_map object.");
            }
            string[] shards = map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().Order(StringComparer.Ordinal).ToArray();
            foreach (string shard in shards)
            {
                if (shard.Length == 0 || shard.Contains('/') || shard.Contains('\\') || !File.Exists(Path.Combine(directory, shard)))
                {
                    throw new InvalidDataException($"{indexes[0]}: shard '{shard}' is not a file in {directory}.");
                }
            }
            return shards.Select(s => Path.Combine(directory, s)).ToArray();
        }
        string[] files = System.IO.Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return files.Length > 0 ? files : throw new InvalidDataException($"{directory}: no *.safetensors weights.");
    }
}
