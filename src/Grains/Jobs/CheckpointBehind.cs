namespace Loom.Grains.Jobs;

/// <summary>
/// A job loop's checkpoints written behind the next step: the loop hands a step's checkpoint over (its bytes already
/// taken, so the next step cannot change them) and computes the next step while the write (the latent to the store,
/// then the job's state) runs. The loop waits for a write only before handing over the next one, before it saves the
/// result, and where it must stop checkpointed (a draining silo). A failed write surfaces at that wait, one step later
/// than in place: the loop fails as it would have, and resumes from the last checkpoint that was written, which
/// gives the same bits (noise depends only on seed, step and iteration; a resumed job redoes the steps after it).
/// </summary>
/// <remarks>Not thread-safe: the job grain's loop calls it from its own scheduler, one call at a time.</remarks>
internal sealed class CheckpointBehind
{
    private Task _pending = Task.CompletedTask;

    /// <summary>Steps of the last checkpoint whose write has been started.</summary>
    public int Started { get; private set; }

    /// <summary>
    /// Waits for the previous write (throwing its failure), then starts <paramref name="write"/> for the checkpoint after
    /// <paramref name="stepsDone"/> steps and returns without waiting for it.
    /// </summary>
    public async Task HandOverAsync(int stepsDone, Func<Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        await WaitAsync();
        Started = stepsDone;
        _pending = write();
    }

    /// <summary>Waits for the write in flight, if any; throws its failure (once: a failed write is not awaited again).</summary>
    public async Task WaitAsync()
    {
        Task pending = _pending;
        _pending = Task.CompletedTask;
        await pending;
    }
}
