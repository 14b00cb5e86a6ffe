namespace Loom.Sampling.Windows;

/// <summary>How the windows of a long video are joined (docs/architecture.md §2, windows).</summary>
public enum WindowJoin
{
    /// <summary>Every evaluation is per window, velocities fused per frame; one global sampler, mask, noise and checkpoint.</summary>
    CoDenoise,

    /// <summary>Each window sampled start to finish on its own (own refinement), overlaps cross-faded.</summary>
    Independent,

    /// <summary>Window k+1 is conditioned on the frames it shares with window k's finished result.</summary>
    Chained,
}
