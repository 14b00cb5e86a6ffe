using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// One window for <see cref="WanBatch"/>: the noisy latent <c>[b, 16, F, h, w]</c>, the timestep the model sees, the
/// prompt's and (when guided) the negative prompt's embedding <c>[L, text_dim]</c>, the guidance scale, and for
/// image-to-video the condition <c>y</c> of the same frames <c>[1, 20, F, h, w]</c>. Tensors are borrowed.
/// </summary>
public sealed record WanWindowInput(Tensor Latent, double Timestep, Tensor Prompt, Tensor? Negative, double Guidance, Tensor? Condition)
{
    /// <summary>True when both branches run (w &gt; 1).</summary>
    public bool IsGuided => Loom.Sampling.Fields.GuidedBatch.IsGuided(Guidance);
}
