namespace Loom.Grains.Storage;

/// <summary>
/// Writes of a reentrant grain's whole state that concurrent calls share. A call changes the state in memory, then asks
/// for a write and waits for it. The write in flight may have taken its bytes before that change, so the call gets the
/// next write, which starts when the one in flight ends and which every call arriving meanwhile shares: a burst of N
/// calls costs two writes, not N one after another. A failed write fails every call that shared it.
/// </summary>
/// <remarks>
/// Not thread-safe: use it from the grain's own scheduler only, where turns never run in parallel, and with a storage
/// that takes the state's bytes before its first await (Orleans' grain storages do).
/// </remarks>
/// <param name="write">Writes the state as it is when called.</param>
public sealed class CoalescedWrites(Func<Task> write)
{
    private Task _inFlight = Task.CompletedTask;
    private Task? _next;

    /// <summary>Completes when a write that started after this call has stored the state.</summary>
    public Task WriteAsync()
    {
        if (_next is not null)
        {
            return _next;
        }
        if (_inFlight.IsCompleted)
        {
            return _inFlight = write();
        }
        return _next = AfterAsync(_inFlight);
    }

    /// <summary>
    /// Completes when every change made before this call is stored: at once when no write is in flight or queued, else
    /// with the last of them (throwing its failure). For a call that changed nothing but relies on what others changed.
    /// </summary>
    public Task StoredAsync() => _next ?? (_inFlight.IsCompleted ? Task.CompletedTask : _inFlight);

    private async Task AfterAsync(Task previous)
    {
        // Back to the caller first, so _next is set before this can clear it (were the write in flight to complete on
        // another thread just now, the await below would not yield, and later calls would join a write already begun).
        await Task.Yield();
        // Its failure belongs to its own callers; this write is another one.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _next = null; // calls from here on may change the state after this write took its bytes: they need the next one
        Task current = write();
        _inFlight = current;
        await current;
    }
}
