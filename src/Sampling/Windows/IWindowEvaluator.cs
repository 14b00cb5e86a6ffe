using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Sampling.Windows;

/// <summary>
/// Evaluates the model's velocity on one window: the unit of distributed work. (window latent, sigma, conditioning)
/// in, velocity out; idempotent, so it may be retried anywhere. In-process today; the cluster plugs in here.
/// </summary>
public interface IWindowEvaluator
{
    /// <summary>Predicts the velocity of <paramref name="windowLatent"/> (<c>[B, C, L, ...]</c>, borrowed) for <paramref name="window"/>.</summary>
    Task<Prediction> EvaluateAsync(TemporalWindow window, torch.Tensor windowLatent, StepContext context, CancellationToken cancellationToken = default);
}
