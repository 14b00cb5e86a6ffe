namespace Loom.Sampling.Schedules;

/// <summary>How the unshifted sigmas are spaced before the shift is applied, and which timestep the model sees.</summary>
public enum ScheduleKind
{
    /// <summary>
    /// Wan's official samplers (UniPC / DPM++ flow schedulers; Diffusers' UniPC with flow sigmas agrees):
    /// <c>s_i = (1 - 1/1000)(1 - i/N)</c> for i in 0..N-1 (max sigma 0.999), shifted, then a final 0; the model sees the
    /// integer timestep <c>floor(1000 * sigma)</c>.
    /// </summary>
    Wan,

    /// <summary>
    /// diffusers' <c>FlowMatchEulerDiscreteScheduler(shift)</c> with 1000 training timesteps: N values from 1 down
    /// to the shifted <c>1/1000</c>, shifted again, then a final 0 (the values it produces for Wan checkpoints);
    /// timestep <c>1000 * sigma</c>.
    /// </summary>
    DiffusersEuler,

    /// <summary>
    /// <c>s_i = 1 - i/N</c> for i in 0..N-1 (uniform in [1, 0)), shifted, then a final 0; real timestep
    /// <c>1000 * sigma</c>. The physics world model's schedule (it takes sigma itself, trained on continuous sigmas,
    /// and has always been sampled on this grid), and the default.
    /// </summary>
    Uniform,
}
