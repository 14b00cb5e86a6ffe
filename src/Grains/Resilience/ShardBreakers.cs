using System.Collections.Concurrent;
using Polly.CircuitBreaker;

namespace Loom.Grains.Resilience;

/// <summary>The state of each shard's circuit breaker (one per shard this silo has called), for placement and metrics.</summary>
public sealed class ShardBreakers
{
    private readonly ConcurrentDictionary<string, CircuitBreakerStateProvider> _states = new(StringComparer.Ordinal);

    /// <summary>The state provider of <paramref name="shardId"/>'s breaker (created with its pipeline).</summary>
    public CircuitBreakerStateProvider For(string shardId) => _states.GetOrAdd(shardId, _ => new CircuitBreakerStateProvider());

    /// <summary>Every breaker's state.</summary>
    public IReadOnlyDictionary<string, CircuitState> States => _states.ToDictionary(kv => kv.Key, kv => kv.Value.CircuitState);
}
