using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// A velocity prediction and what it cost. The caller owns <see cref="Velocity"/> and disposes it (or this).
/// </summary>
/// <param name="Velocity">Predicted velocity <c>v = eps - x0</c>, same shape as the latent.</param>
/// <param name="Evaluations">Model forward passes spent (CFG counts two; a windowed field counts windows).</param>
/// <param name="SkippedEvaluations">Forward passes a field chose not to run because their cells were certain.</param>
public sealed record Prediction(torch.Tensor Velocity, int Evaluations, int SkippedEvaluations = 0) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Velocity.Dispose();
}
