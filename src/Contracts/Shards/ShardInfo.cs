namespace Loom.Contracts.Shards;

/// <summary>A shard as the directory sees it.</summary>
/// <param name="ShardId">Grain key: the owning silo's address and the device index.</param>
/// <param name="Silo">The owning silo's address.</param>
/// <param name="Device">The device's id on its silo (cpu:0, cuda:1, ...).</param>
/// <param name="Models">Models loaded on it.</param>
/// <param name="QueueDepth">Requests waiting or running.</param>
/// <param name="LatencySeconds">Smoothed seconds per forward pass.</param>
/// <param name="Completed">Requests evaluated since start.</param>
/// <param name="Forwards">Forward passes run since start (fewer than requests when batching).</param>
/// <param name="BusySeconds">Seconds spent in forward passes since start.</param>
/// <param name="ReportedAt">When the silo reported it.</param>
/// <param name="Draining">Its silo is draining (shutting down): place work elsewhere unless no other shard is live.</param>
/// <param name="DeviceName">What the device is: the GPU's name (<c>NVIDIA H200</c>) or the CPU model.</param>
/// <param name="MemoryFreeBytes">Memory free on the device when reported (GPU memory; host memory for CPU shards); -1 unknown.</param>
/// <param name="MemoryTotalBytes">The device's memory in all (for CPU shards, the host's or the container's limit); -1 unknown.</param>
[GenerateSerializer, Alias("loom.shard-info"), Immutable]
public sealed record ShardInfo(
    string ShardId,
    string Silo,
    string Device,
    IReadOnlyList<string> Models,
    int QueueDepth,
    double LatencySeconds,
    long Completed,
    long Forwards,
    double BusySeconds,
    DateTimeOffset ReportedAt,
    bool Draining = false,
    string DeviceName = "",
    long MemoryFreeBytes = -1,
    long MemoryTotalBytes = -1);
