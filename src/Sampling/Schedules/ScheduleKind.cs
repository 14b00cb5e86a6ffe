namespace Loom.Sampling.Schedules;

/// <summary>How the unshifted sigmas are spaced before the shift is applied.</summary>
public enum ScheduleKind
{
    /// <summary>
    /// Wan's own sampler: <c>s_i = 1 - i/N</c> for i in 0..N-1 (uniform in [1, 0)), then shifted, then a final 0.
    /// </summary>
    Wan,

    /// <summary>
    /// diffusers' <c>FlowMatchEulerDiscreteScheduler(shift)</c> with 1000 training timesteps: N values from 1 down
    /// to the shifted <c>1/1000</c>, shifted again, then a final 0 (the values it produces for Wan checkpoints).
    /// </summary>
    DiffusersEuler,
}
