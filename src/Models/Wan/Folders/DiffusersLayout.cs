using System.Text.Json;

namespace Loom.Models.Wan.Folders;

/// <summary>
/// Recognises the Diffusers conversions of Wan (<c>Wan-AI/...-Diffusers</c>): <c>model_index.json</c> names the
/// pipeline class and one folder per component; <c>transformer/</c> is the only (or the high-noise) transformer,
/// <c>transformer_2/</c> the low-noise expert of Wan2.2 A14B, switched at <c>boundary_ratio</c>.
/// </summary>
internal static class DiffusersLayout
{
    private static readonly string[] _pipelines = ["WanPipeline", "WanImageToVideoPipeline"];

    public static bool Matches(WanFolderReader reader) => reader.FileExists("model_index.json");

    /// <summary>Fills <paramref name="reader"/>; returns (family, kind, boundary_ratio when the index gives one).</summary>
    public static (string? Family, string? Kind, double? Boundary) Read(WanFolderReader reader)
    {
        if (reader.Json("model_index.json", "the pipeline index") is not JsonElement index)
        {
            return (null, null, null);
        }
        string? pipeline = index.TryGetProperty("_class_name", out JsonElement cls) ? cls.GetString() : null;
        if (pipeline is null || !_pipelines.Contains(pipeline, StringComparer.Ordinal))
        {
            reader.Problems.Add($"model_index.json names the pipeline '{pipeline ?? "(none)"}', not a Wan pipeline Loom runs ({string.Join(", ", _pipelines)}).");
            return (null, null, null);
        }
        bool experts = Listed(index, "transformer_2");
        int? channels = Transformer(reader, experts ? "high_noise" : "transformer", "transformer");
        if (experts)
        {
            Transformer(reader, "low_noise", "transformer_2");
        }
        if (Required(reader, index, "vae"))
        {
            reader.Json("vae/config.json", "the VAE's configuration");
            reader.Weights("vae", "vae", "diffusion_pytorch_model", "the VAE's weights", "config.json");
        }
        if (Required(reader, index, "text_encoder"))
        {
            reader.Json("text_encoder/config.json", "the text encoder's configuration");
            reader.Weights("text_encoder", "text_encoder", "model", "the UMT5-XXL text encoder's weights", "config.json");
        }
        if (Required(reader, index, "tokenizer"))
        {
            reader.Folder("tokenizer", "tokenizer", "the UMT5 tokenizer", "spiece.model", "tokenizer.json");
        }
        if (Listed(index, "image_encoder"))
        {
            reader.Json("image_encoder/config.json", "the CLIP image encoder's configuration");
            reader.Weights("image_encoder", "image_encoder", "model", "the CLIP image encoder's weights", "config.json");
        }
        string? kind = (channels, experts) switch
        {
            (16, false) => WanKind.T2V,
            (36, false) => WanKind.I2V,
            (48, false) => WanKind.TI2V,
            (16, true) => WanKind.T2VA14B,
            (36, true) => WanKind.I2VA14B,
            (null, _) => null,
            _ => Unsupported(reader, channels.Value),
        };
        string? family = kind is null ? null : kind is WanKind.T2V or WanKind.I2V ? "wan2.1" : "wan2.2";
        double? boundary = index.TryGetProperty("boundary_ratio", out JsonElement ratio) && ratio.ValueKind == JsonValueKind.Number ? ratio.GetDouble() : null;
        if (kind is WanKind.I2V && !Listed(index, "image_encoder"))
        {
            reader.Problems.Add("model_index.json lists no image_encoder: Wan2.1 image-to-video needs the CLIP image encoder.");
        }
        return (family, kind, boundary);
    }

    private static string? Unsupported(WanFolderReader reader, int channels)
    {
        reader.Problems.Add($"transformer/config.json: in_channels {channels} is not a Wan model Loom runs (16 t2v, 36 i2v, 48 ti2v).");
        return null;
    }

    /// <summary>True when model_index.json names a class for <paramref name="component"/> (Diffusers writes [null, null] for an absent one).</summary>
    private static bool Listed(JsonElement index, string component)
        => index.TryGetProperty(component, out JsonElement entry) && entry.ValueKind == JsonValueKind.Array
            && entry.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.String);

    private static bool Required(WanFolderReader reader, JsonElement index, string component)
    {
        if (!Listed(index, component))
        {
            reader.Problems.Add($"model_index.json lists no {component}, which a Wan pipeline needs.");
            return false;
        }
        return true;
    }

    /// <summary>Reads one transformer folder; returns its in_channels.</summary>
    private static int? Transformer(WanFolderReader reader, string role, string folder)
    {
        if (!reader.FolderExists(folder))
        {
            reader.Problems.Add($"{folder}/ is missing (model_index.json lists it).");
            return null;
        }
        JsonElement? json = reader.Json($"{folder}/config.json", "the transformer's configuration");
        reader.Weights(role, folder, "diffusion_pytorch_model", "the transformer's weights", "config.json");
        if (json is not JsonElement config)
        {
            return null;
        }
        if (config.TryGetProperty("_class_name", out JsonElement cls) && cls.GetString() is string name && name != "WanTransformer3DModel")
        {
            reader.Problems.Add($"{folder}/config.json describes a {name}, not a Wan transformer (WanTransformer3DModel).");
            return null;
        }
        if (config.TryGetProperty("in_channels", out JsonElement inChannels) && inChannels.TryGetInt32(out int channels))
        {
            return channels;
        }
        reader.Problems.Add($"{folder}/config.json has no in_channels.");
        return null;
    }
}
