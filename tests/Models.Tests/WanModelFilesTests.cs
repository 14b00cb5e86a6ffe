using Loom.Models.Wan.Folders;

namespace Loom.Models.Tests;

/// <summary>Which files of a hub repository a Wan model needs (what <c>loom models pull</c> downloads).</summary>
public sealed class WanModelFilesTests
{
    // The file list of Wan-AI/Wan2.2-T2V-A14B as the hub shows it (shard counts as published).
    private static readonly string[] _official =
    [
        ".gitattributes", "LICENSE.txt", "README.md", "Wan2.1_VAE.pth", "assets/comp_effic.png", "assets/logo.png", "assets/moe_arch.png",
        "configuration.json", "examples/i2v_input.JPG", "google/umt5-xxl/special_tokens_map.json", "google/umt5-xxl/spiece.model",
        "google/umt5-xxl/tokenizer.json", "google/umt5-xxl/tokenizer_config.json", "high_noise_model/config.json",
        "high_noise_model/diffusion_pytorch_model-00001-of-00006.safetensors", "high_noise_model/diffusion_pytorch_model.safetensors.index.json",
        "low_noise_model/config.json", "low_noise_model/diffusion_pytorch_model-00006-of-00006.safetensors", "models_t5_umt5-xxl-enc-bf16.pth",
    ];

    private static readonly string[] _diffusers =
    [
        ".gitattributes", "README.md", "model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
        "text_encoder/model-00001-of-00005.safetensors", "text_encoder/model.safetensors.index.json", "tokenizer/special_tokens_map.json",
        "tokenizer/spiece.model", "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "transformer/config.json",
        "transformer/diffusion_pytorch_model-00001-of-00003.safetensors", "transformer/diffusion_pytorch_model.safetensors.index.json",
        "transformer_2/config.json", "vae/config.json", "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.bin",
        "assets/vae.png", "examples/i2v_input.JPG", "image_encoder/config.json", "image_encoder/model.safetensors",
        "image_processor/preprocessor_config.json",
    ];

    [Fact]
    public void A_pull_takes_the_model_and_leaves_the_rest()
    {
        Assert.Equal(
            [
                "Wan2.1_VAE.pth", "google/umt5-xxl/special_tokens_map.json", "google/umt5-xxl/spiece.model", "google/umt5-xxl/tokenizer.json",
                "google/umt5-xxl/tokenizer_config.json", "high_noise_model/config.json", "high_noise_model/diffusion_pytorch_model-00001-of-00006.safetensors",
                "high_noise_model/diffusion_pytorch_model.safetensors.index.json", "low_noise_model/config.json",
                "low_noise_model/diffusion_pytorch_model-00006-of-00006.safetensors", "models_t5_umt5-xxl-enc-bf16.pth",
            ],
            _official.Where(WanModelFiles.IsNeeded));
        Assert.Equal(
            [
                "model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model-00001-of-00005.safetensors",
                "text_encoder/model.safetensors.index.json", "tokenizer/special_tokens_map.json", "tokenizer/spiece.model", "tokenizer/tokenizer.json",
                "tokenizer/tokenizer_config.json", "transformer/config.json", "transformer/diffusion_pytorch_model-00001-of-00003.safetensors",
                "transformer/diffusion_pytorch_model.safetensors.index.json", "transformer_2/config.json", "vae/config.json",
                "vae/diffusion_pytorch_model.safetensors", "image_encoder/config.json", "image_encoder/model.safetensors",
                "image_processor/preprocessor_config.json",
            ],
            _diffusers.Where(WanModelFiles.IsNeeded));
    }

    [Theory]
    [InlineData("diffusion_pytorch_model-00003-of-00006.safetensors", true)]
    [InlineData("diffusion_pytorch_model.safetensors.index.json", true)]
    [InlineData("Wan2.2_VAE.pth", true)]
    [InlineData("models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth", true)]
    [InlineData("physics-world-model.safetensors", false)]
    [InlineData("README.md", false)]
    [InlineData("model.safetensors", false)]
    public void Wan_files_are_told_by_name(string name, bool wan) => Assert.Equal(wan, WanModelFiles.IsWanFile(name));
}
