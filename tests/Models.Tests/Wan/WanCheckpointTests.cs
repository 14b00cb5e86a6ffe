using System.Text.Json;
using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Transformer;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

public sealed class WanCheckpointTests
{
    // The i2v fixture's config under Diffusers keys (text_len is 512 there, as Diffusers assumes).
    private const string DiffusersI2VConfig = """
        {"_class_name": "WanTransformer3DModel", "patch_size": [1, 2, 2], "num_attention_heads": 4, "attention_head_dim": 16,
         "in_channels": 36, "out_channels": 16, "text_dim": 32, "freq_dim": 32, "ffn_dim": 128, "num_layers": 2,
         "cross_attn_norm": true, "qk_norm": "rms_norm_across_heads", "eps": 1e-06, "image_dim": 32, "added_kv_proj_dim": 64,
         "rope_max_seq_len": 1024}
        """;

    [Fact]
    public void Official_folder_in_float32_reproduces_the_fixture()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        string dir = folder.Write("Wan2.1-T2V-tiny", fixture.Metadata["config"], fixture.Weights, ScalarType.Float32);

        using WanTransformer model = WanCheckpoint.Open(dir).Load();
        using Tensor output = model.Forward(fixture.Input("x").unsqueeze(0), fixture.Input("t"), fixture.Input("context").unsqueeze(0));

        Assert.True(TensorCheck.Compare("output.y", output[0], fixture.Outputs["y"], 1e-4).Pass);
    }

    [Fact]
    public void Diffusers_pipeline_folder_with_shards_reproduces_the_i2v_fixture()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_i2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var renamed = fixture.Weights.ToDictionary(kv => WanWeightNames.ToDiffusers(kv.Key)!, kv => kv.Value);
        folder.Write("transformer", DiffusersI2VConfig, renamed, ScalarType.Float32, shards: 3);

        WanCheckpoint checkpoint = WanCheckpoint.Open(folder.Root);
        using WanTransformer model = checkpoint.Load();
        using Tensor output = model.Forward(fixture.Input("x").unsqueeze(0), fixture.Input("t"), fixture.Input("context").unsqueeze(0),
            fixture.Input("clip_fea"), fixture.Input("y").unsqueeze(0));

        Assert.Equal(3, checkpoint.Files.Count);
        Assert.Equal(32, checkpoint.Config.ImageDim);
        Assert.True(TensorCheck.Compare("output.y", output[0], fixture.Outputs["y"], 1e-4).Pass);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16, ScalarType.BFloat16)]
    [InlineData(ScalarType.Float32, ScalarType.Float16)]
    public void Stored_dtype_is_converted_into_the_compute_dtype(ScalarType stored, ScalarType compute)
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        string dir = folder.Write("m", fixture.Metadata["config"], fixture.Weights, stored);

        using WanTransformer model = WanCheckpoint.Open(dir).Load(compute);

        foreach (var (name, parameter) in model.named_parameters())
        {
            Tensor original = fixture.Weights[name];
            // Kept in float32: norms, modulation tables and the time embedding/projection.
            bool keptFloat32 = name.Contains("norm") || name.Contains("modulation") || name.StartsWith("time_", StringComparison.Ordinal);
            Assert.True((keptFloat32 ? ScalarType.Float32 : compute) == parameter.dtype, $"{name} is {parameter.dtype}");
            using Tensor expected = original.to(stored).to(parameter.dtype);
            Assert.True(parameter.eq(expected).all().item<bool>(), $"{name}: not the stored {stored} values in {parameter.dtype}");
        }
    }

    [Fact]
    public void A_missing_tensor_is_named_with_its_file()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var weights = fixture.Weights.Where(kv => kv.Key != "blocks.1.cross_attn.norm_k.weight").ToDictionary();
        string dir = folder.Write("m", fixture.Metadata["config"], weights, ScalarType.BFloat16);

        var error = Assert.Throws<InvalidDataException>(() => WanCheckpoint.Open(dir).Load());

        Assert.Contains("missing tensor 'blocks.1.cross_attn.norm_k.weight'", error.Message);
        Assert.Contains(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), error.Message);
    }

    [Fact]
    public void A_missing_tensor_of_a_Diffusers_checkpoint_is_named_as_Diffusers_names_it()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_i2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var renamed = fixture.Weights.ToDictionary(kv => WanWeightNames.ToDiffusers(kv.Key)!, kv => kv.Value);
        renamed.Remove("blocks.0.attn2.add_k_proj.bias");
        folder.Write("transformer", DiffusersI2VConfig, renamed, ScalarType.Float32, shards: 2);

        var error = Assert.Throws<InvalidDataException>(() => WanCheckpoint.Open(folder.Root).Load());

        Assert.Contains("missing tensor 'blocks.0.attn2.add_k_proj.bias'", error.Message);
    }

    [Fact]
    public void A_misshaped_tensor_is_named_with_its_file_and_both_shapes()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var weights = fixture.Weights.ToDictionary();
        weights["blocks.0.ffn.0.weight"] = weights["blocks.0.ffn.0.weight"].narrow(0, 0, 100);
        string dir = folder.Write("m", fixture.Metadata["config"], weights, ScalarType.Float32);

        var error = Assert.Throws<InvalidDataException>(() => WanCheckpoint.Open(dir).Load());

        Assert.Contains("'blocks.0.ffn.0.weight' has shape [100, 64]; the model expects [128, 64]", error.Message);
        Assert.Contains(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), error.Message);
    }

    [Fact]
    public void An_unexpected_tensor_is_named_with_its_file()
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var weights = fixture.Weights.ToDictionary();
        weights["blocks.2.modulation"] = weights["blocks.0.modulation"];
        string dir = folder.Write("m", fixture.Metadata["config"], weights, ScalarType.Float32, shards: 2);

        var error = Assert.Throws<InvalidDataException>(() => WanCheckpoint.Open(dir).Load());

        Assert.Contains("unexpected tensor 'blocks.2.modulation' (in " + dir, error.Message);
    }

    [Theory]
    [InlineData("high_noise_model", "low_noise_model", "t2v", null, 0.875)]
    [InlineData("high_noise_model", "low_noise_model", "i2v", null, 0.9)]
    [InlineData("transformer", "transformer_2", "t2v", 0.85, 0.85)]
    public void Two_experts_are_found_with_their_boundary(string high, string low, string type, double? ratio, double boundary)
    {
        using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("dit_t2v_tiny.safetensors"));
        using var folder = new TemporaryCheckpoint();
        var config = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(fixture.Metadata["config"])!;
        config["model_type"] = JsonSerializer.SerializeToElement(type);
        config["in_dim"] = JsonSerializer.SerializeToElement(type == "i2v" ? 36 : 16);
        var weights = fixture.Weights.ToDictionary();
        if (type == "i2v")
        {
            weights["patch_embedding.weight"] = zeros([64, 36, 1, 2, 2]);
        }
        folder.Write(high, JsonSerializer.Serialize(config), weights, ScalarType.BFloat16);
        folder.Write(low, JsonSerializer.Serialize(config), weights, ScalarType.BFloat16);
        if (ratio is double r)
        {
            File.WriteAllText(Path.Combine(folder.Root, "model_index.json"), $$"""{"_class_name": "WanPipeline", "boundary_ratio": {{r}}}""");
        }

        WanExpertPair experts = WanExpertPair.Open(folder.Root);

        Assert.Equal(boundary, experts.Boundary);
        Assert.EndsWith(high, experts.HighNoise.Directory);
        Assert.EndsWith(low, experts.LowNoise.Directory);
        using WanTransformer loaded = experts.LowNoise.Load(ScalarType.BFloat16);
        Assert.Null(loaded.Config.ImageDim); // Wan2.2 I2V has no img_emb
    }
}
