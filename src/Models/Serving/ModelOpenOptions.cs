using static TorchSharp.torch;

namespace Loom.Models.Serving;

/// <summary>How models are opened: the dtype weights are held and computed in where a family lets it be chosen (Wan).</summary>
/// <param name="ComputeType">Float32 by default (exact on CPU); bfloat16 halves a GPU's memory.</param>
public sealed record ModelOpenOptions(ScalarType ComputeType = ScalarType.Float32);
