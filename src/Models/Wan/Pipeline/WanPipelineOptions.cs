using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>How a <see cref="WanPipeline"/> loads its model.</summary>
/// <param name="ComputeType">Transformer matrices and attention: float32 or bfloat16 (norms, time embedding and the
/// residual stream stay float32 inside the transformer); the VAE runs in the same dtype.</param>
/// <param name="TextType">The UMT5 encoder's dtype: float32, or bfloat16 as released.</param>
public sealed record WanPipelineOptions(ScalarType ComputeType = ScalarType.Float32, ScalarType TextType = ScalarType.Float32)
{
    /// <summary>Float32 throughout.</summary>
    public static WanPipelineOptions Float32 { get; } = new();
}
