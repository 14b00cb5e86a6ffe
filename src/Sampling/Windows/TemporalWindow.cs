namespace Loom.Sampling.Windows;

/// <summary>Latent frames <c>[Start, Start + Length)</c> of a video, evaluated together by one model call.</summary>
/// <param name="Index">Position of the window in its plan.</param>
/// <param name="Start">First latent frame.</param>
/// <param name="Length">Number of latent frames.</param>
public readonly record struct TemporalWindow(int Index, int Start, int Length)
{
    /// <summary>One past the last frame.</summary>
    public int End => Start + Length;

    /// <summary>True when <paramref name="frame"/> lies in the window.</summary>
    public bool Contains(int frame) => frame >= Start && frame < End;

    /// <inheritdoc />
    public override string ToString() => $"[{Start},{End})";
}
