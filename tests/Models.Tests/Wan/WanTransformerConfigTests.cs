using System.Text.Json;
using Loom.Models.Wan.Transformer;

namespace Loom.Models.Tests.Wan;

public sealed class WanTransformerConfigTests
{
    [Fact]
    public void The_official_and_the_Diffusers_config_of_T2V_1_3B_give_the_same_shape()
    {
        // config.json of Wan-AI/Wan2.1-T2V-1.3B and of Wan-AI/Wan2.1-T2V-1.3B-Diffusers/transformer.
        const string official = """
            {"_class_name": "WanModel", "_diffusers_version": "0.30.0", "dim": 1536, "eps": 1e-06, "ffn_dim": 8960, "freq_dim": 256,
             "in_dim": 16, "model_type": "t2v", "num_heads": 12, "num_layers": 30, "out_dim": 16, "text_len": 512}
            """;
        const string diffusers = """
            {"_class_name": "WanTransformer3DModel", "_diffusers_version": "0.33.0.dev0", "added_kv_proj_dim": null,
             "attention_head_dim": 128, "cross_attn_norm": true, "eps": 1e-06, "ffn_dim": 8960, "freq_dim": 256, "image_dim": null,
             "in_channels": 16, "num_attention_heads": 12, "num_layers": 30, "out_channels": 16, "patch_size": [1, 2, 2],
             "qk_norm": "rms_norm_across_heads", "rope_max_seq_len": 1024, "text_dim": 4096}
            """;

        WanTransformerConfig a = WanTransformerConfig.Parse(official, "official");
        WanTransformerConfig b = WanTransformerConfig.Parse(diffusers, "diffusers");

        Assert.Equal(WanTransformerConfig.T2V1_3B.ToString(), a.ToString());
        Assert.Equal(a.ToString(), b.ToString());
        Assert.Equal(128, a.HeadDim);
    }

    [Fact]
    public void Diffusers_i2v_is_recognised_by_its_extra_input_channels()
    {
        WanTransformerConfig config = WanTransformerConfig.Parse("""
            {"attention_head_dim": 128, "num_attention_heads": 40, "in_channels": 36, "out_channels": 16, "image_dim": 1280}
            """, "x");

        Assert.Equal("i2v", config.ModelType);
        Assert.Equal(1280, config.ImageDim);
        Assert.Equal(5120, config.Dim);
    }

    [Theory]
    [InlineData("""{"model_type": "flf2v"}""", "model_type 'flf2v' is not supported")]
    [InlineData("""{"dim": 100, "num_heads": 12}""", "dim 100 must be a multiple of num_heads 12")]
    [InlineData("""{"patch_size": [1, 2]}""", "patch_size must be three positive integers")]
    [InlineData("""{"attention_head_dim": 64, "qk_norm": "layer_norm"}""", "qk_norm")]
    public void Bad_configs_say_what_is_wrong(string json, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => WanTransformerConfig.Parse(json, "config.json"));

        Assert.Contains(message, error.Message);
        Assert.StartsWith("config.json", error.Message);
    }

    [Fact]
    public void The_name_rules_reproduce_every_transformer_entry_of_diffusers_names_json()
    {
        using JsonDocument names = JsonDocument.Parse(File.ReadAllBytes(WanFixtureFiles.Path("diffusers_names.json")));
        int count = 0;
        foreach (string file in new[] { "dit_t2v_tiny.safetensors", "dit_i2v_tiny.safetensors" })
        {
            foreach (JsonProperty entry in names.RootElement.GetProperty("files").GetProperty(file).EnumerateObject())
            {
                Assert.Equal(entry.Value.GetString(), WanWeightNames.ToDiffusers(entry.Name));
                Assert.Equal(entry.Name, WanWeightNames.ToOfficial(entry.Value.GetString()!));
                count++;
            }
        }
        Assert.True(count > 150, $"only {count} entries checked");
        Assert.Null(WanWeightNames.ToDiffusers("blocks.0.unknown.weight"));
    }
}
