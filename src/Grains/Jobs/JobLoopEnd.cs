namespace Loom.Grains.Jobs;

/// <summary>How <see cref="JobLoop.RunAsync"/> ended without an exception.</summary>
public enum JobLoopEnd
{
    /// <summary>Every step is done: the run's latent is the result.</summary>
    Done,

    /// <summary>The silo drains: stopped right after a checkpoint, to be resumed on another silo.</summary>
    Drained,

    /// <summary>The job was cancelled while a checkpoint was saved: nothing more is written.</summary>
    Cancelled,
}
