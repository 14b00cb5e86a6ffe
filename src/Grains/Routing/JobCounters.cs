using System.Collections.Concurrent;

namespace Loom.Grains.Routing;

/// <summary>What a job's window evaluations did, counted from the threads that ran them.</summary>
public sealed class JobCounters
{
    private int _retries;

    /// <summary>Shards that evaluated at least one window.</summary>
    public ConcurrentDictionary<string, int> Shards { get; } = new(StringComparer.Ordinal);

    /// <summary>Evaluations retried on another shard.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Counts one retry.</summary>
    public void Retried() => Interlocked.Increment(ref _retries);
}
