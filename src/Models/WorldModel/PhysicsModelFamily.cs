using System.Security.Cryptography;
using System.Text.Json;
using Loom.Models.Serving;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// The physics world model at the shard: a <c>*.safetensors</c> file at the top of the models folder whose metadata holds
/// <see cref="WorldModelWeights.ConfigKey"/>, named by its file name without <c>-world-model.safetensors</c> (so the
/// bundled file serves as <c>physics</c>). Its identity is the file's SHA-256.
/// </summary>
public sealed class PhysicsModelFamily : IModelFamily
{
    /// <summary>The family's name.</summary>
    public const string FamilyName = "physics";

    /// <inheritdoc />
    public string Name => FamilyName;

    /// <inheritdoc />
    public ModelFound? Recognise(string path, ModelOpenOptions options)
    {
        if (!File.Exists(path) || !path.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return null;
        }
        SafeTensorsHeader header;
        try
        {
            // The header alone: a multi-gigabyte Wan shard dropped here must not be read whole to be skipped.
            header = SafeTensorsHeader.Read(path);
        }
        catch (InvalidDataException e)
        {
            return ModelFound.Skipped(path, $"not a readable safetensors file ({e.Message})");
        }
        if (!header.Metadata.TryGetValue(WorldModelWeights.ConfigKey, out string? json))
        {
            return null;
        }
        var config = JsonSerializer.Deserialize<WorldModelConfig>(json)!;
        string name = Path.GetFileName(path).Replace(".safetensors", "", StringComparison.Ordinal).Replace("-world-model", "", StringComparison.Ordinal);
        string sha;
        long bytes;
        using (FileStream stream = File.OpenRead(path))
        {
            sha = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
            bytes = stream.Length;
        }
        long parameters = header.Tensors.Where(t => t.Key.StartsWith(WorldModelWeights.Prefix, StringComparison.Ordinal))
            .Sum(t => t.Value.Shape.Aggregate(1L, (a, b) => a * b));
        var info = new ShardModelInfo(
            name, FamilyName, path,
            $"physics world model {path}, {bytes} bytes, {config.Width}x{config.Height}, patch {config.Patch}, sha256 {sha}",
            sha, bytes,
            new LatentLayout(WorldModelConfig.Channels, [1, config.Patch, config.Patch], [1, 1, 1], config.Height, config.Width, config.MaxFrames),
                ConditioningSlot.GivenFrames,
            new ModelMemory(ScalarType.Float32, [new ModelPart("model", parameters * ModelMemory.ElementBytes(ScalarType.Float32))]));
        return new ModelFound(path, info, null);
    }

    /// <inheritdoc />
    public IShardModel Open(ShardModelInfo info) => new PhysicsShardModel(info);
}
