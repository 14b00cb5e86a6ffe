using System.Buffers.Binary;
using System.Reflection;
using System.Text.Json;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Transformer;
using Loom.Models.Wan.Vae;
using Loom.Models.Weights;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Tiny;

/// <summary>
/// Writes a random-weight Wan model folder in the official layout (what <c>loom models make-tiny</c> does): the
/// transformer's <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> (two experts in
/// <c>high_noise_model/</c> and <c>low_noise_model/</c> for the A14B kinds), <c>Wan2.1_VAE.pth</c> and
/// <c>models_t5_umt5-xxl-enc-bf16.pth</c> as PyTorch pickles, and a SentencePiece Unigram tokenizer in
/// <c>google/umt5-xxl/</c>. Every tensor is drawn from one seeded generator, so the same (kind, seed, shape) writes the
/// same bytes. The CLIP image encoder of Wan2.1 image-to-video is not ported: the <c>i2v</c> kind's transformer has no
/// <c>img_emb</c>, and the CLIP pickle written for the layout holds one random tensor that nothing reads.
/// </summary>
public static class WanTinyModel
{
    /// <summary>The kinds this writes.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [WanKind.T2V, WanKind.I2V, WanKind.T2VA14B, WanKind.I2VA14B];

    private const string TokenizerResource = "Loom.Models.Wan.Tiny.spiece.model";
    private const string ClipFile = "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth";

    /// <summary>Writes a <paramref name="kind"/> model with weights from <paramref name="seed"/> into <paramref name="directory"/> (created).</summary>
    /// <exception cref="ArgumentException">kind is not one of <see cref="Kinds"/>; the parameter is named.</exception>
    public static void Write(string directory, string kind, long seed = 0, WanTinyShape? shape = null)
    {
        if (!Kinds.Contains(kind))
        {
            throw new ArgumentException($"kind '{kind}' is not one of {string.Join(", ", Kinds)}.", nameof(kind));
        }
        shape ??= WanTinyShape.Tiny;
        bool i2v = kind is WanKind.I2V or WanKind.I2VA14B;
        bool experts = kind is WanKind.T2VA14B or WanKind.I2VA14B;
        Directory.CreateDirectory(directory);
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        using var noGrad = no_grad();

        string[] folders = experts ? [OfficialLayout.HighNoise, OfficialLayout.LowNoise] : [""];
        foreach (string folder in folders)
        {
            string target = Path.Combine(directory, folder);
            Directory.CreateDirectory(target);
            var config = new Dictionary<string, object>
            {
                ["_class_name"] = "WanModel",
                ["model_type"] = i2v ? "i2v" : "t2v",
                ["patch_size"] = new[] { 1, 2, 2 },
                ["text_len"] = UmT5Tokenizer.DefaultTextLength,
                ["in_dim"] = i2v ? 36 : 16,
                ["dim"] = shape.Dim,
                ["ffn_dim"] = shape.FfnDim,
                ["freq_dim"] = shape.FreqDim,
                ["text_dim"] = shape.TextDim,
                ["out_dim"] = 16,
                ["num_heads"] = shape.Heads,
                ["num_layers"] = shape.Layers,
                ["window_size"] = new[] { -1, -1 },
                ["qk_norm"] = true,
                ["cross_attn_norm"] = true,
                ["eps"] = 1e-6,
            };
            string json = JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true });
            File.WriteAllText(Path.Combine(target, "config.json"), json);
            using var transformer = new WanTransformer(WanTransformerConfig.Parse(json, "tiny config.json"));
            SaveSafeTensors(Path.Combine(target, OfficialLayout.Stem + ".safetensors"), Randomise(transformer.named_parameters(), generator));
        }

        using (var vae = new WanVae(WanVaeConfig.Official with { Dim = shape.VaeDim }))
        {
            SavePickle(Path.Combine(directory, OfficialLayout.Vae21), Randomise(vae.named_parameters(), generator));
        }

        byte[] spiece = TokenizerModel();
        int vocab = SentencePieceModel.Parse(spiece).Pieces.Count;
        var t5Config = new UmT5Config(vocab, shape.TextDim, shape.TextDim, shape.TextFfnDim, shape.TextHeads, shape.TextLayers, 32);
        using (var t5 = new UmT5Encoder(t5Config))
        {
            // The official encoder file is bfloat16; so is this one.
            Dictionary<string, Tensor> weights = Randomise(t5.named_parameters(), generator);
            var stored = weights.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.BFloat16));
            weights.Values.ToList().ForEach(t => t.Dispose());
            SavePickle(Path.Combine(directory, OfficialLayout.T5), stored);
        }
        string tokenizer = Path.Combine(directory, OfficialLayout.Tokenizer);
        Directory.CreateDirectory(tokenizer);
        File.WriteAllBytes(Path.Combine(tokenizer, "spiece.model"), spiece);

        if (kind == WanKind.I2V)
        {
            SavePickle(Path.Combine(directory, ClipFile), new Dictionary<string, Tensor> { ["log_scale"] = randn([1], generator: generator) });
        }
    }

    /// <summary>The SentencePiece Unigram model shipped in this assembly (UMT5's special ids: pad 0, eos 1, unk 2).</summary>
    public static byte[] TokenizerModel()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(TokenizerResource)
            ?? throw new InvalidOperationException($"resource {TokenizerResource} is missing from {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Random float32 values for every parameter: matrices and convolutions N(0, 1/fan_in), norm weights 1 + N(0, 0.1),
    /// other vectors N(0, 0.02), so activations stay of order one through the layers.
    /// </summary>
    private static Dictionary<string, Tensor> Randomise(IEnumerable<(string Name, Parameter Parameter)> parameters, Generator generator)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in parameters)
        {
            long[] shape = parameter.shape;
            Tensor value = randn(shape, dtype: ScalarType.Float32, generator: generator);
            long fanIn = shape.Length >= 2 ? shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
            bool norm = name.EndsWith(".gamma", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal);
            if (norm)
            {
                value = value.mul_(0.1).add_(1.0);
            }
            else if (shape.Length >= 2 && !name.EndsWith("modulation", StringComparison.Ordinal))
            {
                value = value.mul_(1.0 / Math.Sqrt(fanIn));
            }
            else
            {
                value = value.mul_(0.02);
            }
            result[name] = value;
        }
        return result;
    }

    private static void SaveSafeTensors(string path, Dictionary<string, Tensor> tensors)
    {
        try
        {
            SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            tensors.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    private static void SavePickle(string path, Dictionary<string, Tensor> tensors)
    {
        try
        {
            using var buffer = new MemoryStream();
            PyTorchPickler.PickleStateDict(buffer, tensors);
            byte[] zip = buffer.ToArray();
            FixZipTimes(zip, path);
            File.WriteAllBytes(path, zip);
        }
        finally
        {
            tensors.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    /// <summary>
    /// Sets every entry's modification time in a zip (local headers and central directory) to 1980-01-01 00:00, the
    /// format's zero, so a pickle written twice has the same bytes (the writer stamps the current time).
    /// </summary>
    private static void FixZipTimes(byte[] zip, string path)
    {
        const uint endSignature = 0x06054b50, centralSignature = 0x02014b50, localSignature = 0x04034b50;
        int end = zip.Length - 22;
        while (end >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end)) != endSignature)
        {
            end--;
        }
        if (end < 0)
        {
            throw new InvalidDataException($"{path}: the pickle writer produced no zip end record.");
        }
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(end + 10));
        int at = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16)));
        for (int i = 0; i < entries; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) != centralSignature)
            {
                throw new InvalidDataException($"{path}: zip central directory entry {i} is malformed.");
            }
            int local = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at + 42)));
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(local)) != localSignature)
            {
                throw new InvalidDataException($"{path}: zip local header of entry {i} is malformed.");
            }
            StampZero(zip.AsSpan(at + 12));
            StampZero(zip.AsSpan(local + 10));
            at += 46 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 30))
                + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 32));
        }
    }

    private static void StampZero(Span<byte> timeAndDate)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(timeAndDate, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(timeAndDate[2..], (1 << 5) | 1);
    }
}
