namespace Loom.Models.Wan.Folders;

/// <summary>How a Wan model folder is laid out.</summary>
public static class WanLayout
{
    /// <summary>
    /// The Wan team's own repositories (<c>Wan-AI/Wan2.1-T2V-1.3B</c>, ...): <c>config.json</c> and
    /// <c>diffusion_pytorch_model*.safetensors</c> at the top (or in <c>high_noise_model/</c> and <c>low_noise_model/</c>),
    /// <c>Wan2.1_VAE.pth</c>, <c>models_t5_umt5-xxl-enc-bf16.pth</c> and the tokenizer in <c>google/umt5-xxl/</c>.
    /// </summary>
    public const string Official = "official";

    /// <summary>
    /// The Diffusers conversions (<c>...-Diffusers</c>): <c>model_index.json</c> and one folder per component
    /// (<c>transformer/</c>, <c>transformer_2/</c>, <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>, ...).
    /// </summary>
    public const string Diffusers = "diffusers";
}
