namespace Loom.Contracts.Jobs;

/// <summary>
/// How overlapping windows' contributions are weighted per frame (the job's choice; the grains map it onto the
/// sampler's own blend). Persisted with the job: never renumber these members.
/// </summary>
public enum WindowBlend
{
    /// <summary>Every window that covers a frame counts equally.</summary>
    Uniform = 0,

    /// <summary>A window's weight ramps linearly across its overlap with each neighbour (default).</summary>
    Linear = 1,

    /// <summary>A triangle over the whole window, highest at its centre.</summary>
    Pyramid = 2,
}
