namespace Loom.Contracts.Jobs;

/// <summary>
/// How a job's temporal windows are joined (the job's choice; the grains map it onto the sampler's own join).
/// Persisted with the job: never renumber these members.
/// </summary>
public enum WindowJoin
{
    /// <summary>Every evaluation is per window, velocities fused per frame; one global sampler, mask, noise and checkpoint.</summary>
    CoDenoise = 0,

    /// <summary>Each window sampled start to finish on its own (own refinement), overlaps cross-faded.</summary>
    Independent = 1,

    /// <summary>Window k+1 is conditioned on the frames it shares with window k's finished result.</summary>
    Chained = 2,
}
