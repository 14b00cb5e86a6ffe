namespace Loom.Grains.Routing;

/// <summary>
/// Where a job step's time goes, as <c>loom_step_phase_seconds_total{phase}</c> counts it (<see cref="LoomMetrics.Phase"/>).
/// The job-side phases are wall time on the job's silo; the call-side ones are summed over a step's window calls, so
/// they overlap each other (windows run concurrently): read them per call, not as shares of the step.
/// </summary>
public enum StepPhase
{
    /// <summary>A co-denoising step as the job loop waits for it: every round's predictions, fusion and P&amp;P arithmetic.</summary>
    Step,

    /// <summary>Per round, the first window sent to the last velocity back (the step's critical path through the shards).</summary>
    Rounds,

    /// <summary>Per window call: the latent to wire bytes (float16 conversion, copies).</summary>
    Encode,

    /// <summary>Per window call: the shard picked (directory snapshot, breakers, expected finish times).</summary>
    Route,

    /// <summary>Per window call: the grain call, request out to answer back (includes the shard's queue and forward).</summary>
    Call,

    /// <summary>Per window call: time the request waited in the shard's queue (reported by the shard).</summary>
    ShardQueue,

    /// <summary>Per window call: the shard's forward pass, wire conversion of its batch included (reported by the shard).</summary>
    ShardForward,

    /// <summary>Per window call: the velocity's wire bytes to a tensor.</summary>
    Decode,

    /// <summary>Per checkpoint: the latent's bytes written to the latent store (retries included).</summary>
    CheckpointWrite,

    /// <summary>Per checkpoint: the job's grain state written after it.</summary>
    StateWrite,
}
