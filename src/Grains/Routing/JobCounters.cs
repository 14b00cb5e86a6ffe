using System.Collections.Concurrent;

namespace Loom.Grains.Routing;

/// <summary>What a job's window evaluations did, counted from the threads that ran them.</summary>
public sealed class JobCounters
{
    private int _retries;
    private long _messages;
    private long _bytesSent;
    private long _bytesReceived;
    private int _inFlight;
    private long _roundStarted;
    private bool _ended;

    /// <summary>Shards that evaluated at least one window.</summary>
    public ConcurrentDictionary<string, int> Shards { get; } = new(StringComparer.Ordinal);

    /// <summary>Per window index: predictions asked of it and the forward passes they cost, since the last <see cref="TakeWindows"/>.</summary>
    private readonly ConcurrentDictionary<int, (int Calls, long Evaluations)> _windows = new();

    /// <summary>Whether the run's windows are done with the shards (the router stops keeping their homes for them).</summary>
    public bool Ended => Volatile.Read(ref _ended);

    /// <summary>The run's windows will ask for no more evaluations.</summary>
    public void End() => Volatile.Write(ref _ended, true);

    /// <summary>Evaluations retried on another shard.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Counts one retry.</summary>
    public void Retried() => Interlocked.Increment(ref _retries);

    /// <summary>
    /// Takes and resets the traffic since the last call: evaluation calls made to shards (each a request and its answer,
    /// retries included), payload bytes sent (latents, and conditioning where a shard lacked it) and received (velocities).
    /// </summary>
    public (long Messages, long BytesSent, long BytesReceived) TakeTraffic()
        => (Interlocked.Exchange(ref _messages, 0), Interlocked.Exchange(ref _bytesSent, 0), Interlocked.Exchange(ref _bytesReceived, 0));

    /// <summary>Counts one evaluation call that sent <paramref name="sent"/> and received <paramref name="received"/> payload bytes.</summary>
    public void Called(long sent, long received)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytesSent, sent);
        Interlocked.Add(ref _bytesReceived, received);
    }

    /// <summary>
    /// A window prediction starts; returns when the current round began (the first of the predictions in flight
    /// together, a <see cref="System.Diagnostics.Stopwatch"/> timestamp), for <see cref="StepPhase.Rounds"/>.
    /// </summary>
    public long RoundBegin()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (Interlocked.Increment(ref _inFlight) == 1)
        {
            Interlocked.Exchange(ref _roundStarted, now);
        }
        return Interlocked.Read(ref _roundStarted);
    }

    /// <summary>A window prediction ended; true when it was the last in flight (its round ended).</summary>
    public bool RoundEnd() => Interlocked.Decrement(ref _inFlight) == 0;

    /// <summary>Counts one prediction of window <paramref name="index"/> that cost <paramref name="evaluations"/> forward passes.</summary>
    public void Evaluated(int index, int evaluations)
        => _windows.AddOrUpdate(index, (1, evaluations), (_, c) => (c.Calls + 1, c.Evaluations + evaluations));

    /// <summary>Window counts not yet taken (a live view; safe from any thread).</summary>
    public IReadOnlyDictionary<int, (int Calls, long Evaluations)> PendingWindows => _windows.ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Takes and resets the window counts (call between steps, when no evaluation is in flight).</summary>
    public IReadOnlyDictionary<int, (int Calls, long Evaluations)> TakeWindows()
    {
        var taken = new Dictionary<int, (int Calls, long Evaluations)>();
        foreach (int index in _windows.Keys)
        {
            if (_windows.TryRemove(index, out var counts))
            {
                taken[index] = counts;
            }
        }
        return taken;
    }
}
