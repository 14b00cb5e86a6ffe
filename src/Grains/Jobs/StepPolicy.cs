using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Orleans.Storage;

namespace Loom.Grains.Jobs;

/// <summary>
/// When a job's loop checkpoints and what it does when it fails: errors that would repeat on every resume fail the job
/// at once, passing ones are retried by resuming from the checkpoint, up to <see cref="MaxFailuresInRow"/> in a row
/// without a finished step. One per job activation: the count survives the loop's restarts on this silo.
/// </summary>
public sealed class StepPolicy
{
    /// <summary>Loop failures in a row (without a finished step) before a job is failed for good.</summary>
    public const int MaxFailuresInRow = 5;

    /// <summary>Failures since the last finished step.</summary>
    public int FailuresInRow { get; private set; }

    /// <summary>True when the latent after the last step should be saved: the run's interval ends, or the silo drains mid-run.</summary>
    /// <param name="run">The run after a step.</param>
    /// <param name="draining">True while the silo drains.</param>
    public static bool CheckpointNow(JobRun run, bool draining)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.CheckpointDue || StopsToDrain(run, draining);
    }

    /// <summary>True when the run should stop after its checkpoint because the silo drains (a finished run just finishes).</summary>
    public static bool StopsToDrain(JobRun run, bool draining)
    {
        ArgumentNullException.ThrowIfNull(run);
        return draining && !run.IsDone;
    }

    /// <summary>A step finished: the failures in a row start over.</summary>
    public void Succeeded() => FailuresInRow = 0;

    /// <summary>What the loop does after <paramref name="error"/> (counted when passing).</summary>
    /// <param name="error">What the loop threw.</param>
    /// <param name="cancelled">True when the loop's own cancellation was requested.</param>
    public LoopFault Classify(Exception error, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is StaleCheckpointException or InconsistentStateException)
        {
            return LoopFault.Superseded; // the checkpoint store or the state's ETag saw a newer loop
        }
        if (cancelled)
        {
            return LoopFault.Stopped;
        }
        return !IsPermanent(error) && ++FailuresInRow < MaxFailuresInRow ? LoopFault.Interrupted : LoopFault.Failed;
    }

    /// <summary>Errors that would repeat on every resume.</summary>
    public static bool IsPermanent(Exception error)
        => error is ArgumentException or InvalidDataException or InvalidJobSpecException or NotSupportedException or FormatException;
}
