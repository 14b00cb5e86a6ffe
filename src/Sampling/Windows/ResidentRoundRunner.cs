namespace Loom.Sampling.Windows;

/// <summary>
/// When a resident window's rounds run, and how long the window lives. An ask runs its round, or joins the round begun
/// ahead for it. The round that follows whatever the reports say (<see cref="ResidentRoundOrder.Next"/>) begins as
/// soon as the one before has updated the window (<see cref="Updated"/>). Calls enter and leave, and the window is freed
/// once it is closed and its last call has left.
/// </summary>
/// <param name="window">The window's index (for errors).</param>
/// <param name="run">Runs one round on the window (entered; the runner leaves when it ends).</param>
/// <param name="free">Frees the window (called once).</param>
internal sealed class ResidentRoundRunner(int window, Func<ResidentRoundOrder, CancellationToken, Task<ResidentRoundReport>> run, Action free)
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _closed;
    private bool _freed;
    private (ResidentRoundOrder Order, Task<ResidentRoundReport> Round)? _ahead;
    private ResidentRoundOrder? _followOn;
    private bool _updated;

    /// <summary>Completes once the window is closed and no call is inside it any more (a round begun ahead included).</summary>
    public Task Drained => _drained.Task;

    /// <summary>The round <paramref name="order"/> asks for: joined if begun ahead, else run now.</summary>
    /// <exception cref="InvalidOperationException">Another round than the one asked for was begun ahead.</exception>
    /// <exception cref="ObjectDisposedException">The window was closed.</exception>
    public Task<ResidentRoundReport> AskAsync(ResidentRoundOrder order, CancellationToken cancellationToken)
    {
        Task<ResidentRoundReport> round;
        ResidentRoundOrder? startNow = null;
        bool joined = false;
        lock (_gate)
        {
            if (_ahead is { } ahead)
            {
                joined = true;
                if (!ahead.Order.SameRound(order))
                {
                    throw new InvalidOperationException(
                        $"window {window} started step {ahead.Order.Step}, round {ahead.Order.Iteration} ahead as its order said, but was asked for step {order.Step}, round {order.Iteration} (or other skips or settled samples).");
                }
                _ahead = null;
                round = ahead.Round;
                // What follows the round begun ahead is known now: started at once if the round has updated the window.
                if (_updated)
                {
                    startNow = order.Next;
                }
                else
                {
                    _followOn = order.Next;
                }
            }
            else
            {
                ObjectDisposedException.ThrowIf(_closed, typeof(ResidentWindowWorker));
                _inFlight++;
                (_followOn, _updated) = (order.Next, false);
                round = RunEntered(order, cancellationToken);
            }
        }
        if (startNow is not null)
        {
            RunAhead(startNow);
        }
        return joined ? JoinedAsync(round, cancellationToken) : round.WaitAsync(cancellationToken);
    }

    /// <summary>The running round has updated the window: the round that follows it, when known, begins.</summary>
    public void Updated()
    {
        ResidentRoundOrder? next;
        lock (_gate)
        {
            (next, _followOn, _updated) = (_followOn, null, true);
        }
        if (next is not null)
        {
            RunAhead(next);
        }
    }

    /// <summary>A call other than a round begins on the window.</summary>
    /// <exception cref="ObjectDisposedException">The window was closed.</exception>
    public void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(ResidentWindowWorker));
            _inFlight++;
        }
    }

    /// <summary>A call ends; the last one out of a closed window frees it.</summary>
    public void Leave()
    {
        lock (_gate)
        {
            if (--_inFlight == 0 && _closed)
            {
                Free();
            }
        }
    }

    /// <summary>Closes the window: a round begun ahead ends, and the window is freed now or when its last call leaves.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
        }
        _closing.Cancel(); // outside the lock: the round begun ahead leaves through it
        lock (_gate)
        {
            if (_inFlight == 0)
            {
                Free();
            }
        }
    }

    /// <summary>Observes <paramref name="task"/>'s failure, which nobody else will (a round or send nobody waits for any more).</summary>
    public static void Observe(Task task)
        => _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static async Task<ResidentRoundReport> JoinedAsync(Task<ResidentRoundReport> round, CancellationToken cancellationToken)
        => (await round.WaitAsync(cancellationToken).ConfigureAwait(false)) with { RanAhead = true };

    private async Task<ResidentRoundReport> RunEntered(ResidentRoundOrder order, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield(); // the caller holds the lock
            return await run(order, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Begins <paramref name="next"/> before it is asked, for the ask to join; ended only by the window closing.</summary>
    private void RunAhead(ResidentRoundOrder next)
    {
        Task<ResidentRoundReport> round;
        lock (_gate)
        {
            if (_closed || _ahead is not null)
            {
                return;
            }
            _inFlight++;
            (_followOn, _updated) = (null, false);
            round = RunEntered(next, _closing.Token);
            _ahead = (next, round);
        }
        // Never joined when the job stops first: its failure (a cancellation as the window closes) is nobody's to report.
        Observe(round);
    }

    /// <summary>Frees the window once (the closing and the last call out may both get here).</summary>
    private void Free()
    {
        if (!_freed)
        {
            _freed = true;
            free();
            _drained.TrySetResult();
        }
    }
}
