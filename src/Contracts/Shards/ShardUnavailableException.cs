namespace Loom.Contracts.Shards;

/// <summary>A shard cannot take work: its silo left the cluster, it is draining, or no shard serves the model.</summary>
[GenerateSerializer, Alias("loom.shard-unavailable")]
public sealed class ShardUnavailableException(string message) : Exception(message);
