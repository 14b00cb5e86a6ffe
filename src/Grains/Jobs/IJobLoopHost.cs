using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>
/// What a <see cref="JobLoop"/> needs from whoever hosts it (the render job grain, or a test): the state it folds steps
/// into, how to persist it, and the silo's situation. Called on the host's own scheduler (the loop never leaves it).
/// </summary>
public interface IJobLoopHost
{
    /// <summary>The job's id.</summary>
    string JobId { get; }

    /// <summary>Where results go when the job names no output path.</summary>
    string OutputDirectory { get; }

    /// <summary>The job's state, folded into as steps finish.</summary>
    RenderJobState Job { get; }

    /// <summary>True while the silo drains: the loop checkpoints and stops.</summary>
    bool Draining { get; }

    /// <summary>True once the job was cancelled: the loop writes nothing more.</summary>
    bool CancelRequested { get; }

    /// <summary>Keeps the host alive for the next step.</summary>
    void KeepAlive();

    /// <summary>The whole run in progress whose window reports are the job's live progress; null between runs.</summary>
    /// <param name="run">The run's tally, or null.</param>
    void ShowLive(WindowRunTally? run);

    /// <summary>Persists <see cref="Job"/>.</summary>
    Task SaveAsync();

    /// <summary>A checkpoint and the state after it were saved.</summary>
    void Checkpointed();

    /// <summary>Ends the job in <paramref name="phase"/> (no-op once final): persisted, reported, dequeued.</summary>
    /// <param name="phase">Completed or Failed.</param>
    /// <param name="error">Why it failed, or null.</param>
    Task FinishAsync(JobPhase phase, string? error);

    /// <summary>The loop stopped for good on this silo (drained or superseded): let the host go.</summary>
    void Deactivate();
}
