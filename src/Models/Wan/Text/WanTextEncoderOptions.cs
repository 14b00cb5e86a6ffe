using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>Where and how Wan's text encoder runs.</summary>
/// <param name="Device">Device of the encoder: <c>cpu</c> keeps the 11 GB encoder off the GPU while the transformer has it
/// (the official <c>--t5_cpu</c>); <c>cuda</c> / <c>cuda:N</c> otherwise.</param>
/// <param name="DType">Weights and activations: bfloat16 (the official release) or float32.</param>
/// <param name="TextLength">Ids per prompt after padding (Wan: 512).</param>
/// <param name="BatchSize">Prompts encoded per forward pass.</param>
/// <param name="CacheBytes">Budget of the embedding cache the encoder creates when none is given (default 1 GiB:
/// ~180 full-length bfloat16 prompts at width 4096).</param>
public sealed record WanTextEncoderOptions(
    string Device = "cpu", ScalarType DType = ScalarType.BFloat16, int TextLength = UmT5Tokenizer.DefaultTextLength, int BatchSize = 4, long CacheBytes = 1L << 30)
{
    /// <summary>The official <c>--t5_cpu</c>: encoder on the CPU in bfloat16.</summary>
    public static WanTextEncoderOptions T5Cpu { get; } = new();
}
