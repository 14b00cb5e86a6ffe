using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Scalars that live for the whole process. TorchSharp's <c>a + b</c> on tensors passes an implicit
/// <c>alpha = 1</c> Scalar whose finalizer can free it while libtorch still reads it (seen here: a training run died
/// 250 steps in with "Expected false to be true" in <c>Scalar::toFloat</c>). Hot paths add and subtract through
/// <see cref="Add"/>, which passes this one instead.
/// </summary>
public static class HeldScalars
{
    /// <summary>The scalar 1, never disposed.</summary>
    public static Scalar One { get; } = 1.0f.ToScalar();

    /// <summary><c>a + b</c> with a held alpha.</summary>
    public static torch.Tensor Add(torch.Tensor a, torch.Tensor b) => a.add(b, One);

    /// <summary><c>a - b</c> (TorchSharp passes no alpha for it; kept beside <see cref="Add"/> so call sites read alike).</summary>
    public static torch.Tensor Sub(torch.Tensor a, torch.Tensor b) => a.sub(b);
}
