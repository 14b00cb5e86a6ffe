using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Receives an intermediate of a forward pass under the reference's <c>debug.*</c> name (<c>time_embedding</c>,
/// <c>blocks.0.self_attn.q_rope</c>, ...). The tensor is borrowed: clone it to keep it.
/// </summary>
public delegate void WanCapture(string name, Tensor value);
