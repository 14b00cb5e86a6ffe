using System.Security.Cryptography;
using System.Text.Json;
using Loom.Models.Serving;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>
/// The AR(1) video at the shard, a model that is all configuration: a file <c>NAME.model.json</c> in the models folder
/// holding <c>{"family": "ar1", "rho": 0.9, "height": 32, "width": 32, "max_frames": 64}</c> (optionally
/// <c>"channels"</c>, 3 by default). Its exact velocity makes a cluster run's windowing measurable against the truth.
/// </summary>
public sealed class Ar1ModelFamily : IModelFamily
{
    /// <summary>The family's name, also the <c>family</c> value of its files.</summary>
    public const string FamilyName = "ar1";

    /// <inheritdoc />
    public string Name => FamilyName;

    /// <inheritdoc />
    public ModelFound? Recognise(string path, ModelOpenOptions options)
    {
        if (!File.Exists(path) || !path.EndsWith(ModelFamilies.ConfigSuffix, StringComparison.Ordinal))
        {
            return null;
        }
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            JsonElement root = document.RootElement;
            if (!root.TryGetProperty("family", out JsonElement family) || family.GetString() != FamilyName)
            {
                return null;
            }
            double rho = Number(root, "rho", path);
            int height = (int)Number(root, "height", path), width = (int)Number(root, "width", path), frames = (int)Number(root, "max_frames", path);
            int channels = root.TryGetProperty("channels", out _) ? (int)Number(root, "channels", path) : 3;
            _ = new Ar1Video(rho);
            if (height < 1 || width < 1 || frames < 1 || channels < 1)
            {
                return ModelFound.Skipped(path, "height, width, max_frames and channels must be positive.");
            }
            string name = Path.GetFileName(path)[..^ModelFamilies.ConfigSuffix.Length];
            string sha = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
            var info = new ShardModelInfo(
                name, FamilyName, path, $"AR(1) video, rho {rho}, {channels} channels, {width}x{height}, windows up to {frames} frames (exact velocity, no weights)",
                sha, bytes.Length,
                new LatentLayout(channels, [1, 1, 1], [1, 1, 1], height, width, frames),
                ConditioningSlot.GivenFrames,
                new ModelMemory(ScalarType.Float64, []));
            return new ModelFound(path, info, null);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            return ModelFound.Skipped(path, $"not a usable {FamilyName} model file: {e.Message}");
        }
    }

    /// <inheritdoc />
    public IShardModel Open(ShardModelInfo info)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(info.Path));
        return new Ar1ShardModel(info, new Ar1Video(Number(document.RootElement, "rho", info.Path)));
    }

    private static double Number(JsonElement root, string key, string path)
        => root.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new InvalidDataException($"{path}: '{key}' must be a number.");
}
