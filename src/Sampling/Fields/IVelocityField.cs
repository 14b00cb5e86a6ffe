using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Predicts the flow velocity <c>v = eps - x0</c> of a latent <c>z</c> at a noise level. Models, guidance,
/// expert switching, conditioning and temporal windows are all velocity fields, composed by wrapping.
/// </summary>
/// <remarks>
/// Latents are <c>[B, C, ...]</c>: batch first, channels second, then cells (frames, height, width for video).
/// Implementations must be pure functions of (z, context) and their own fixed inputs, so an evaluation can be
/// retried anywhere with the same bits. They must not keep a TorchSharp dispose scope open across an await.
/// </remarks>
public interface IVelocityField
{
    /// <summary>Predicts the velocity for <paramref name="z"/> at <paramref name="context"/>.</summary>
    /// <param name="z">The noisy latent; borrowed, not disposed by the field.</param>
    /// <param name="context">Step, sigma and refinement iteration of this prediction.</param>
    /// <param name="cancellationToken">Cancels the prediction.</param>
    /// <returns>A new velocity tensor owned by the caller, detached from any dispose scope.</returns>
    Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default);
}
