namespace Loom.Grains.Shards;

/// <summary>What a shard computes on.</summary>
public enum ShardDeviceKind
{
    /// <summary>The host's CPU cores (<see cref="LoomShardOptions.ThreadsPerShard"/> threads each).</summary>
    Cpu,

    /// <summary>One CUDA device.</summary>
    Cuda,

    /// <summary>No device: a benchmark's stand-in that waits instead of computing.</summary>
    Simulated,
}
