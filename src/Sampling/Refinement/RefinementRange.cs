namespace Loom.Sampling.Refinement;

/// <summary>Steps <see cref="First"/>..<see cref="Last"/> (0-based, inclusive) each make <see cref="Extra"/> extra predictions.</summary>
/// <param name="First">First step of the range.</param>
/// <param name="Last">Last step of the range (inclusive).</param>
/// <param name="Extra">Extra predictions K per step (Predict-and-Perturb iterations).</param>
public readonly record struct RefinementRange(int First, int Last, int Extra)
{
    /// <summary>Number of steps in the range.</summary>
    public int Count => Last - First + 1;

    /// <inheritdoc />
    public override string ToString() => First == Last ? $"{First}:{Extra}" : $"{First}-{Last}:{Extra}";
}
