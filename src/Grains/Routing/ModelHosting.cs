using Loom.Contracts.Shards;
using Loom.Models.Serving;

namespace Loom.Grains.Routing;

/// <summary>
/// Whether any shard of the pool can ever hold a model: its weights in their compute dtype (both experts of Wan2.2 A14B,
/// which a shard holds together) against each device's total memory as its shard reports it. A shard whose memory is
/// unknown could; a pool that reports no shard yet is not judged.
/// </summary>
public static class ModelHosting
{
    /// <summary>Why no shard of <paramref name="shards"/> can host <paramref name="model"/>; null when one can (or none is known).</summary>
    public static string? Problem(ShardModelInfo model, IReadOnlyCollection<ShardInfo> shards)
    {
        if (shards.Count == 0 || shards.Any(s => s.MemoryTotalBytes < 0 || s.MemoryTotalBytes >= model.Memory.Bytes))
        {
            return null;
        }
        ShardInfo largest = shards.MaxBy(s => s.MemoryTotalBytes)!;
        return $"no shard in the pool can host model '{model.Name}': its weights take {model.Memory.Bytes} bytes in {model.Memory.ComputeType} "
            + $"on one device, and the largest device ({largest.Device}, {largest.DeviceName}) has {largest.MemoryTotalBytes} bytes.";
    }
}
