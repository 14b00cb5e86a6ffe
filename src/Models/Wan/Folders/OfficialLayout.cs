using System.Text.Json;

namespace Loom.Models.Wan.Folders;

/// <summary>
/// Recognises the Wan team's own layout, as their <c>generate.py</c> loads it (<c>wan/configs/*.py</c> name the files):
/// the transformer config and weights at the top (or one set per expert in <c>high_noise_model/</c> and
/// <c>low_noise_model/</c>), the VAE and T5 pickles beside them, the UMT5 tokenizer in <c>google/umt5-xxl/</c>, and for
/// Wan2.1 image-to-video the CLIP pickle.
/// </summary>
internal static class OfficialLayout
{
    public const string HighNoise = "high_noise_model";
    public const string LowNoise = "low_noise_model";
    public const string T5 = "models_t5_umt5-xxl-enc-bf16.pth";
    public const string Tokenizer = "google/umt5-xxl";
    public const string Vae21 = "Wan2.1_VAE.pth";
    public const string Vae22 = "Wan2.2_VAE.pth";
    public const string Stem = "diffusion_pytorch_model";

    public static bool Matches(WanFolderReader reader)
        => reader.FileExists("config.json") || reader.FolderExists(HighNoise) || reader.FolderExists(LowNoise);

    /// <summary>Fills <paramref name="reader"/>; returns (family, kind), null where they cannot be told.</summary>
    public static (string? Family, string? Kind) Read(WanFolderReader reader)
    {
        bool experts = reader.FolderExists(HighNoise) || reader.FolderExists(LowNoise);
        string? type;
        if (experts)
        {
            string? high = Transformer(reader, "high_noise", HighNoise);
            string? low = Transformer(reader, "low_noise", LowNoise);
            if (high is not null && low is not null && high != low)
            {
                reader.Problems.Add($"{HighNoise}/config.json says model_type '{high}' but {LowNoise}/config.json says '{low}': the two experts must be of one model.");
            }
            type = high ?? low;
        }
        else
        {
            type = Transformer(reader, "transformer", "");
        }
        string? kind = (type, experts) switch
        {
            ("t2v", false) => WanKind.T2V,
            ("i2v", false) => WanKind.I2V,
            ("ti2v", false) => WanKind.TI2V,
            ("t2v", true) => WanKind.T2VA14B,
            ("i2v", true) => WanKind.I2VA14B,
            (null, _) => null,
            _ => Unsupported(reader, type, experts),
        };
        string? family = kind is null ? null : kind is WanKind.T2V or WanKind.I2V ? "wan2.1" : "wan2.2";
        reader.OneFile("vae", kind == WanKind.TI2V ? Vae22 : Vae21, "the VAE");
        reader.OneFile("text_encoder", T5, "the UMT5-XXL text encoder");
        reader.Folder("tokenizer", Tokenizer, "the UMT5 tokenizer", "spiece.model", "tokenizer.json");
        if (kind == WanKind.I2V)
        {
            string? clip = Directory.EnumerateFiles(reader.Root, "models_clip_*.pth").Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault();
            reader.OneFile("image_encoder", clip ?? "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth", "the CLIP image encoder Wan2.1 image-to-video needs");
        }
        return (family, kind);
    }

    private static string? Unsupported(WanFolderReader reader, string? type, bool experts)
    {
        reader.Problems.Add(experts
            ? $"{HighNoise}/config.json: model_type '{type}' with two experts is not a model Loom runs (t2v, i2v)."
            : $"config.json: model_type '{type}' is not a model Loom runs (t2v, i2v, ti2v).");
        return null;
    }

    /// <summary>Reads one transformer's config and weights; returns its model_type.</summary>
    private static string? Transformer(WanFolderReader reader, string role, string folder)
    {
        string config = folder.Length == 0 ? "config.json" : $"{folder}/config.json";
        if (folder.Length > 0 && !reader.FolderExists(folder))
        {
            reader.Problems.Add($"{folder}/ is missing (a Wan2.2 A14B model needs both experts, {HighNoise}/ and {LowNoise}/).");
            return null;
        }
        JsonElement? json = reader.Json(config, "the transformer's configuration");
        reader.Weights(role, folder, Stem, "the transformer's weights", "config.json");
        if (json is not JsonElement element)
        {
            return null;
        }
        if (element.TryGetProperty("_class_name", out JsonElement cls) && cls.GetString() is string name && name != "WanModel")
        {
            reader.Problems.Add($"{config} describes a {name}, not a Wan transformer (WanModel).");
            return null;
        }
        if (element.TryGetProperty("model_type", out JsonElement type) && type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }
        // Some re-packagings drop model_type; the input width tells the kinds apart (16 latent channels for t2v,
        // 16 + 4 mask + 16 condition for i2v, 48 for the Wan2.2 VAE of ti2v).
        if (element.TryGetProperty("in_dim", out JsonElement inDim) && inDim.TryGetInt32(out int channels))
        {
            switch (channels)
            {
                case 16:
                    return "t2v";
                case 36:
                    return "i2v";
                case 48:
                    return "ti2v";
            }
        }
        reader.Problems.Add($"{config} has neither model_type nor a known in_dim (16, 36, 48): not a Wan transformer config.");
        return null;
    }
}
