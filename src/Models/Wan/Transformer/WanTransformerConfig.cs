using System.Text.Json;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The shape of a Wan2.1/2.2 diffusion transformer, read from a checkpoint's <c>config.json</c> in either the official
/// keys (<c>dim</c>, <c>num_heads</c>, <c>in_dim</c>, ...; missing keys take the official <c>WanModel</c> constructor's
/// defaults) or the Diffusers <c>WanTransformer3DModel</c> keys (<c>num_attention_heads</c>, <c>attention_head_dim</c>, ...).
/// </summary>
/// <param name="ModelType"><c>t2v</c>, or <c>i2v</c> (the condition <c>y</c> is concatenated to the latent's channels).</param>
/// <param name="PatchSize">(pt, ph, pw), the Conv3d patch embedding's kernel and stride.</param>
/// <param name="TextLen">Text tokens the context is zero-padded to before the text MLP (512 for every real model).</param>
/// <param name="InDim">Input channels after the condition is concatenated (16 t2v, 36 i2v).</param>
/// <param name="Dim">Hidden width.</param>
/// <param name="FfnDim">Feed-forward width.</param>
/// <param name="FreqDim">Width of the timestep sinusoid.</param>
/// <param name="TextDim">Width of the text encoder's output (UMT5-XXL: 4096).</param>
/// <param name="OutDim">Output (latent) channels.</param>
/// <param name="NumHeads">Attention heads; head_dim = Dim / NumHeads.</param>
/// <param name="NumLayers">Transformer blocks.</param>
/// <param name="QkNorm">RMS norm of q and k over the whole hidden width.</param>
/// <param name="CrossAttnNorm">Affine LayerNorm before cross-attention (official <c>norm3</c>).</param>
/// <param name="Eps">Epsilon of the block norms and the q/k RMS norms.</param>
/// <param name="ImageDim">Width of the CLIP image tokens when the model has <c>img_emb</c> (Wan2.1 I2V: 1280), else null.</param>
public sealed record WanTransformerConfig(
    string ModelType,
    int[] PatchSize,
    int TextLen,
    int InDim,
    int Dim,
    int FfnDim,
    int FreqDim,
    int TextDim,
    int OutDim,
    int NumHeads,
    int NumLayers,
    bool QkNorm,
    bool CrossAttnNorm,
    double Eps,
    int? ImageDim = null)
{
    /// <summary>The text length the official i2v cross-attention hard-codes: image tokens are the rows before the last 512.</summary>
    public const int ImageCrossAttentionTextLen = 512;

    /// <summary>Width of one head.</summary>
    public int HeadDim => Dim / NumHeads;

    /// <summary>True when the condition <c>y</c> is concatenated to the noisy latent.</summary>
    public bool IsImageToVideo => ModelType == "i2v";

    /// <summary>Values per token the head produces: <c>pt * ph * pw * OutDim</c>.</summary>
    public int HeadOutDim => PatchSize[0] * PatchSize[1] * PatchSize[2] * OutDim;

    /// <summary>Wan2.1 T2V-1.3B.</summary>
    public static WanTransformerConfig T2V1_3B { get; } = new("t2v", [1, 2, 2], 512, 16, 1536, 8960, 256, 4096, 16, 12, 30, true, true, 1e-6);

    /// <summary>Parses a <c>config.json</c> (official or Diffusers keys, detected); <paramref name="source"/> starts every error.</summary>
    /// <exception cref="InvalidDataException">A key has the wrong type, the model type is not supported, or the shape is inconsistent.</exception>
    public static WanTransformerConfig Parse(string json, string source)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return FromJson(document.RootElement, source);
    }

    /// <summary>As <see cref="Parse"/>, from a parsed JSON object.</summary>
    public static WanTransformerConfig FromJson(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: a transformer config must be a JSON object.");
        }
        try
        {
            WanTransformerConfig config = root.TryGetProperty("num_attention_heads", out _) || root.TryGetProperty("attention_head_dim", out _)
                ? FromDiffusers(root, source)
                : FromOfficial(root, source);
            config.Validate(source);
            return config;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: bad transformer config ({e.Message}).", e);
        }
    }

    private static WanTransformerConfig FromOfficial(JsonElement root, string source)
    {
        // Defaults: the official WanModel constructor's.
        string type = String(root, "model_type", "t2v");
        if (type is not ("t2v" or "i2v"))
        {
            throw new InvalidDataException($"{source}: model_type '{type}' is not supported (t2v and i2v are; flf2v, vace and ti2v are not).");
        }
        return new WanTransformerConfig(
            type,
            Ints(root, "patch_size", [1, 2, 2], source),
            Int(root, "text_len", 512),
            Int(root, "in_dim", 16),
            Int(root, "dim", 2048),
            Int(root, "ffn_dim", 8192),
            Int(root, "freq_dim", 256),
            Int(root, "text_dim", 4096),
            Int(root, "out_dim", 16),
            Int(root, "num_heads", 16),
            Int(root, "num_layers", 32),
            Bool(root, "qk_norm", true),
            Bool(root, "cross_attn_norm", true),
            Double(root, "eps", 1e-6));
    }

    private static WanTransformerConfig FromDiffusers(JsonElement root, string source)
    {
        // Defaults: Diffusers' WanTransformer3DModel's. Diffusers has no model_type: more input than output channels
        // means a condition is concatenated (i2v); the pipelines always pad text to 512 tokens.
        int heads = Int(root, "num_attention_heads", 40);
        int headDim = Int(root, "attention_head_dim", 128);
        int inChannels = Int(root, "in_channels", 16);
        int outChannels = root.TryGetProperty("out_channels", out JsonElement o) && o.ValueKind != JsonValueKind.Null ? o.GetInt32() : inChannels;
        bool qkNorm = !root.TryGetProperty("qk_norm", out JsonElement q) || q.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.False => false,
            JsonValueKind.True => true,
            JsonValueKind.String when q.GetString() == "rms_norm_across_heads" => true,
            _ => throw new InvalidDataException($"{source}: qk_norm {q} is not supported (rms_norm_across_heads or null are)."),
        };
        int? imageDim = root.TryGetProperty("image_dim", out JsonElement img) && img.ValueKind != JsonValueKind.Null ? img.GetInt32() : null;
        return new WanTransformerConfig(
            inChannels > outChannels ? "i2v" : "t2v",
            Ints(root, "patch_size", [1, 2, 2], source),
            ImageCrossAttentionTextLen,
            inChannels,
            heads * headDim,
            Int(root, "ffn_dim", 13824),
            Int(root, "freq_dim", 256),
            Int(root, "text_dim", 4096),
            outChannels,
            heads,
            Int(root, "num_layers", 40),
            qkNorm,
            Bool(root, "cross_attn_norm", true),
            Double(root, "eps", 1e-6),
            imageDim);
    }

    private void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidDataException($"{source}: {what}.");
            }
        }
        Require(PatchSize.Length == 3 && PatchSize.All(p => p >= 1), "patch_size must be three positive integers");
        foreach (var (name, value) in new[] { ("text_len", TextLen), ("in_dim", InDim), ("dim", Dim), ("ffn_dim", FfnDim), ("freq_dim", FreqDim), ("text_dim", TextDim), ("out_dim", OutDim), ("num_heads", NumHeads), ("num_layers", NumLayers) })
        {
            Require(value >= 1, $"{name} must be positive, not {value}");
        }
        Require(Dim % NumHeads == 0, $"dim {Dim} must be a multiple of num_heads {NumHeads}");
        Require(HeadDim % 2 == 0 && HeadDim >= 6, $"head_dim {HeadDim} must be even and at least 6 (three RoPE axes)");
        Require(FreqDim % 2 == 0, $"freq_dim {FreqDim} must be even (cos and sin halves)");
        Require(Eps > 0, "eps must be positive");
        Require(!IsImageToVideo || InDim > OutDim, $"an i2v model needs in_dim ({InDim}) > out_dim ({OutDim}): the condition is concatenated");
        Require(ImageDim is null || (IsImageToVideo && TextLen == ImageCrossAttentionTextLen),
            $"image tokens (img_emb) need model_type i2v and text_len {ImageCrossAttentionTextLen} (the official cross-attention splits at that literal)");
    }

    private static string String(JsonElement root, string key, string fallback)
        => root.TryGetProperty(key, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v.GetString() ?? fallback : fallback;

    private static int Int(JsonElement root, string key, int fallback)
        => root.TryGetProperty(key, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v.GetInt32() : fallback;

    private static double Double(JsonElement root, string key, double fallback)
        => root.TryGetProperty(key, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v.GetDouble() : fallback;

    private static bool Bool(JsonElement root, string key, bool fallback)
        => root.TryGetProperty(key, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v.GetBoolean() : fallback;

    private static int[] Ints(JsonElement root, string key, int[] fallback, string source)
    {
        if (!root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt32()).ToArray()
            : throw new InvalidDataException($"{source}: {key} must be an array.");
    }

    /// <inheritdoc />
    public override string ToString()
        => $"Wan {ModelType} dim {Dim} ffn {FfnDim} heads {NumHeads} layers {NumLayers} patch ({string.Join(",", PatchSize)}) in {InDim} out {OutDim} text {TextDim}x{TextLen}"
           + (ImageDim is int d ? $" image {d}" : "");
}
