using System.Collections.Concurrent;
using System.Diagnostics;
using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>
/// The render jobs whose grains are active on this silo: their phases (for <c>loom_jobs</c>), their running sampling
/// loops and when each last checkpointed, and the drain. While the silo drains, a loop stops at its next step boundary
/// after a checkpoint, and no loop starts here: the job resumes on another silo from that checkpoint.
/// </summary>
public sealed class LocalJobs
{
    private readonly ConcurrentDictionary<string, JobPhase> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Loop> _loops = new(StringComparer.Ordinal);
    private long _completed;
    private long _failed;
    private long _cancelled;
    private volatile bool _draining;

    /// <summary>True once the silo started draining: loops stop at their next step boundary and none starts here.</summary>
    public bool Draining => _draining;

    /// <summary>Sampling loops running on this silo now.</summary>
    public int RunningLoops => _loops.Count;

    /// <summary>A job grain here is in <paramref name="phase"/> (on activation and on every phase change but the last).</summary>
    public void Seen(string jobId, JobPhase phase)
    {
        if (phase is JobPhase.Queued or JobPhase.Running)
        {
            _active[jobId] = phase;
        }
        else
        {
            _active.TryRemove(jobId, out _);
        }
    }

    /// <summary>A job reached its final <paramref name="phase"/> on this silo.</summary>
    public void Finished(string jobId, JobPhase phase)
    {
        _active.TryRemove(jobId, out _);
        switch (phase)
        {
            case JobPhase.Completed:
                Interlocked.Increment(ref _completed);
                break;
            case JobPhase.Failed:
                Interlocked.Increment(ref _failed);
                break;
            case JobPhase.Cancelled:
                Interlocked.Increment(ref _cancelled);
                break;
        }
    }

    /// <summary>The job's grain left this silo.</summary>
    public void Gone(string jobId) => _active.TryRemove(jobId, out _);

    /// <summary>Jobs in <paramref name="state"/> as <c>loom_jobs</c> counts them (queued, running, completed, failed, cancelled).</summary>
    public long Count(string state) => state switch
    {
        "queued" => _active.Values.Count(p => p == JobPhase.Queued),
        "running" => _active.Values.Count(p => p == JobPhase.Running),
        "completed" => Interlocked.Read(ref _completed),
        "failed" => Interlocked.Read(ref _failed),
        "cancelled" => Interlocked.Read(ref _cancelled),
        _ => 0,
    };

    /// <summary>A sampling loop started; <paramref name="stop"/> cancels it if a drain runs out of time.</summary>
    public void LoopStarted(string jobId, CancellationTokenSource stop) => _loops[jobId] = new Loop(stop, Stopwatch.GetTimestamp());

    /// <summary>The job's loop saved a checkpoint.</summary>
    public void Checkpointed(string jobId)
    {
        if (_loops.TryGetValue(jobId, out Loop? loop))
        {
            _loops[jobId] = loop with { CheckpointedAt = Stopwatch.GetTimestamp() };
        }
    }

    /// <summary>The job's loop ended (finished, cancelled, interrupted or stopped by the drain).</summary>
    public void LoopEnded(string jobId) => _loops.TryRemove(jobId, out _);

    /// <summary>Time since the oldest running loop last checkpointed (or started); zero when none runs.</summary>
    public TimeSpan OldestCheckpointAge()
    {
        long[] times = _loops.Values.Select(l => l.CheckpointedAt).ToArray();
        return times.Length == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(times.Min());
    }

    /// <summary>Starts the drain: loops stop at their next step boundary after a checkpoint, and no loop starts here.</summary>
    public void BeginDrain() => _draining = true;

    /// <summary>Waits until no loop runs here; false if <paramref name="cancellationToken"/> came first.</summary>
    public async Task<bool> WaitForLoopsAsync(CancellationToken cancellationToken)
    {
        while (!_loops.IsEmpty)
        {
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Cancels every loop still running (a drain out of time): each resumes elsewhere from its last checkpoint.</summary>
    public void StopLoops()
    {
        foreach (Loop loop in _loops.Values)
        {
            try
            {
                loop.Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private sealed record Loop(CancellationTokenSource Stop, long CheckpointedAt);
}
