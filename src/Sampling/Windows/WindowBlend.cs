namespace Loom.Sampling.Windows;

/// <summary>How overlapping windows' contributions are weighted per frame (always normalised to sum to 1).</summary>
public enum WindowBlend
{
    /// <summary>Every window that covers a frame counts equally.</summary>
    Uniform,

    /// <summary>
    /// A window's weight ramps linearly from 0 at its outermost shared frame to 1 at its innermost one, across its
    /// overlap with each neighbour (default). Unshared edges keep weight 1.
    /// </summary>
    Linear,

    /// <summary>A triangle over the whole window, highest at its centre.</summary>
    Pyramid,
}
