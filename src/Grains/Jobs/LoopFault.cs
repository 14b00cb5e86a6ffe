namespace Loom.Grains.Jobs;

/// <summary>What a job loop that threw does next (<see cref="StepPolicy.Classify"/>).</summary>
public enum LoopFault
{
    /// <summary>Another loop of the job took over (its silo was stopped or cut off): write nothing more.</summary>
    Superseded,

    /// <summary>Cancelled by the user or by deactivation: the state says which; a deactivated job resumes later.</summary>
    Stopped,

    /// <summary>A passing failure (no shard, a timeout, storage away): stay Running; the queue's heartbeat resumes it.</summary>
    Interrupted,

    /// <summary>A failure that would repeat on every resume, or too many in a row: the job fails for good.</summary>
    Failed,
}
