using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Loom.Models.Tests;

/// <summary>
/// Writes Wan model folders with the real file names of the public repositories (<c>Wan-AI/Wan2.1-T2V-1.3B</c>,
/// <c>Wan2.2-T2V-A14B</c>, their <c>-Diffusers</c> twins, ...) and tiny, well-formed content: valid safetensors with a
/// few float32 tensors, <c>.pth</c> files that are PyTorch zip archives with a <c>data.pkl</c>, real JSON configs.
/// Not weights anyone can run; enough to recognise, verify and serve over a fake hub.
/// </summary>
internal static class TinyWanFolder
{
    /// <summary>Writes a model in the official layout; <paramref name="shards"/> &gt; 1 writes an index and that many shards.</summary>
    public static void Official(string dir, string kind, int shards = 1, int floats = 64)
    {
        (string type, int inDim, bool experts) = kind switch
        {
            "t2v" => ("t2v", 16, false),
            "i2v" => ("i2v", 36, false),
            "ti2v" => ("ti2v", 48, false),
            "t2v-a14b" => ("t2v", 16, true),
            "i2v-a14b" => ("i2v", 36, true),
            _ => throw new ArgumentException(kind),
        };
        foreach (string folder in experts ? new[] { "high_noise_model", "low_noise_model" } : [""])
        {
            Json(Path.Combine(dir, folder, "config.json"), new { _class_name = "WanModel", _diffusers_version = "0.30.0", model_type = type, in_dim = inDim, out_dim = kind == "ti2v" ? 48 : 16, dim = 16, ffn_dim = 32, freq_dim = 8, num_heads = 2, num_layers = 2, text_len = 512, eps = 1e-6 });
            Weights(Path.Combine(dir, folder), "diffusion_pytorch_model", shards, floats, "blocks");
        }
        Write(Path.Combine(dir, kind == "ti2v" ? "Wan2.2_VAE.pth" : "Wan2.1_VAE.pth"), Pickle("Wan2.1_VAE"));
        Write(Path.Combine(dir, "models_t5_umt5-xxl-enc-bf16.pth"), Pickle("models_t5_umt5-xxl-enc-bf16"));
        Tokenizer(Path.Combine(dir, "google", "umt5-xxl"));
        if (kind == "i2v")
        {
            Write(Path.Combine(dir, "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth"), Pickle("models_clip"));
            Json(Path.Combine(dir, "xlm-roberta-large", "tokenizer_config.json"), new { model_max_length = 512 });
            Write(Path.Combine(dir, "xlm-roberta-large", "sentencepiece.bpe.model"), Bytes(64, 7));
        }
        Extras(dir);
    }

    /// <summary>Writes a model in the Diffusers layout.</summary>
    public static void Diffusers(string dir, string kind, int shards = 2, int floats = 64)
    {
        (int inChannels, bool experts, string pipeline) = kind switch
        {
            "t2v" => (16, false, "WanPipeline"),
            "i2v" => (36, false, "WanImageToVideoPipeline"),
            "ti2v" => (48, false, "WanPipeline"),
            "t2v-a14b" => (16, true, "WanPipeline"),
            "i2v-a14b" => (36, true, "WanImageToVideoPipeline"),
            _ => throw new ArgumentException(kind),
        };
        bool clip = kind == "i2v";
        var index = new Dictionary<string, object?>
        {
            ["_class_name"] = pipeline,
            ["_diffusers_version"] = "0.35.0.dev0",
            ["scheduler"] = new[] { "diffusers", "UniPCMultistepScheduler" },
            ["text_encoder"] = new[] { "transformers", "UMT5EncoderModel" },
            ["tokenizer"] = new[] { "transformers", "T5TokenizerFast" },
            ["transformer"] = new[] { "diffusers", "WanTransformer3DModel" },
            ["transformer_2"] = experts ? new[] { "diffusers", "WanTransformer3DModel" } : new string?[] { null, null },
            ["vae"] = new[] { "diffusers", "AutoencoderKLWan" },
        };
        if (experts)
        {
            index["boundary_ratio"] = kind == "t2v-a14b" ? 0.875 : 0.9;
        }
        if (pipeline == "WanImageToVideoPipeline")
        {
            index["image_encoder"] = clip ? new[] { "transformers", "CLIPVisionModel" } : new string?[] { null, null };
            index["image_processor"] = clip ? new[] { "transformers", "CLIPImageProcessor" } : new string?[] { null, null };
        }
        Json(Path.Combine(dir, "model_index.json"), index);
        foreach (string folder in experts ? new[] { "transformer", "transformer_2" } : ["transformer"])
        {
            Json(Path.Combine(dir, folder, "config.json"), new { _class_name = "WanTransformer3DModel", in_channels = inChannels, out_channels = kind == "ti2v" ? 48 : 16, num_layers = 2, num_attention_heads = 2, attention_head_dim = 8, ffn_dim = 32, patch_size = new[] { 1, 2, 2 } });
            Weights(Path.Combine(dir, folder), "diffusion_pytorch_model", shards, floats, "blocks");
        }
        Json(Path.Combine(dir, "vae", "config.json"), new { _class_name = "AutoencoderKLWan", z_dim = kind == "ti2v" ? 48 : 16 });
        Weights(Path.Combine(dir, "vae"), "diffusion_pytorch_model", 1, floats, "decoder");
        Json(Path.Combine(dir, "text_encoder", "config.json"), new { architectures = new[] { "UMT5EncoderModel" }, d_model = 16 });
        Weights(Path.Combine(dir, "text_encoder"), "model", shards, floats, "encoder");
        Tokenizer(Path.Combine(dir, "tokenizer"));
        Json(Path.Combine(dir, "scheduler", "scheduler_config.json"), new { _class_name = "UniPCMultistepScheduler", flow_shift = 3.0 });
        if (clip)
        {
            Json(Path.Combine(dir, "image_encoder", "config.json"), new { architectures = new[] { "CLIPVisionModel" } });
            Weights(Path.Combine(dir, "image_encoder"), "model", 1, floats, "vision_model");
            Json(Path.Combine(dir, "image_processor", "preprocessor_config.json"), new { crop_size = 224 });
        }
        Extras(dir);
    }

    /// <summary>A well-formed safetensors file: float32 tensors named <paramref name="names"/>, each <paramref name="floats"/> long.</summary>
    public static byte[] SafeTensors(IEnumerable<string> names, int floats, int seed = 1)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        List<string> list = [.. names];
        foreach (string name in list)
        {
            header[name] = new { dtype = "F32", shape = new[] { floats }, data_offsets = new[] { offset, offset + floats * 4 } };
            offset += floats * 4;
        }
        header["__metadata__"] = new { format = "pt" };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        var bytes = new byte[8 + json.Length + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        Bytes((int)offset, seed).CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    /// <summary>A PyTorch zip checkpoint in form (an <c>archive/data.pkl</c> entry and one data record).</summary>
    public static byte[] Pickle(string archive)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (Stream pkl = zip.CreateEntry($"{archive}/data.pkl").Open())
            {
                pkl.Write([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
            }
            using Stream data = zip.CreateEntry($"{archive}/data/0").Open();
            data.Write(Bytes(256, archive.Length));
        }
        return memory.ToArray();
    }

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    public static void Json(string path, object value) => Write(path, JsonSerializer.SerializeToUtf8Bytes(value));

    private static void Weights(string dir, string stem, int shards, int floats, string prefix)
    {
        if (shards <= 1)
        {
            Write(Path.Combine(dir, $"{stem}.safetensors"), SafeTensors([$"{prefix}.0.weight", $"{prefix}.1.weight"], floats));
            return;
        }
        var map = new Dictionary<string, string>();
        for (int i = 1; i <= shards; i++)
        {
            string shard = $"{stem}-{i:00000}-of-{shards:00000}.safetensors";
            string[] names = [$"{prefix}.{i}.weight", $"{prefix}.{i}.bias"];
            Write(Path.Combine(dir, shard), SafeTensors(names, floats, i));
            foreach (string name in names)
            {
                map[name] = shard;
            }
        }
        Json(Path.Combine(dir, $"{stem}.safetensors.index.json"), new { metadata = new { total_size = shards * 2 * floats * 4 }, weight_map = map });
    }

    private static void Tokenizer(string dir)
    {
        Write(Path.Combine(dir, "spiece.model"), Bytes(512, 3));
        Json(Path.Combine(dir, "tokenizer_config.json"), new { model_max_length = 512, tokenizer_class = "T5Tokenizer" });
        Json(Path.Combine(dir, "special_tokens_map.json"), new { eos_token = "</s>", pad_token = "<pad>", unk_token = "<unk>" });
        Json(Path.Combine(dir, "tokenizer.json"), new { version = "1.0", model = new { type = "Unigram" } });
    }

    /// <summary>What the hub repositories carry besides the model, which a pull leaves out.</summary>
    private static void Extras(string dir)
    {
        Write(Path.Combine(dir, "README.md"), Encoding.UTF8.GetBytes("# tiny\n"));
        Write(Path.Combine(dir, "LICENSE.txt"), Encoding.UTF8.GetBytes("Apache-2.0\n"));
        Write(Path.Combine(dir, ".gitattributes"), Encoding.UTF8.GetBytes("*.safetensors filter=lfs diff=lfs merge=lfs -text\n"));
        Write(Path.Combine(dir, "assets", "logo.png"), Bytes(100, 9));
        Write(Path.Combine(dir, "examples", "i2v_input.JPG"), Bytes(100, 10));
    }
}
