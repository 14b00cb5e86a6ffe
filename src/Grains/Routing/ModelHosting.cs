using Loom.Contracts.Shards;
using Loom.Models.Serving;

namespace Loom.Grains.Routing;

/// <summary>
/// Whether any shard of the pool can ever hold a model: its weights in their compute dtype against what each shard may
/// hold as it reports it (its configured budget, else the device's total memory). A model of several experts (Wan2.2
/// A14B) counts its largest expert: shards load its experts one by one, and a pool of shards with room for one expert
/// each serves it (<see cref="ShardHoldings"/>). A shard whose memory is unknown could; a pool that reports no shard yet
/// is not judged.
/// </summary>
public static class ModelHosting
{
    /// <summary>Bytes one shard needs to serve <paramref name="model"/>: its largest expert, or all of it.</summary>
    public static long BytesPerShard(ShardModelInfo model) => model.Memory.Parts.Count > 1 ? model.Memory.LargestPart : model.Memory.Bytes;

    /// <summary>Why no shard of <paramref name="shards"/> can host <paramref name="model"/>; null when one can (or none is known).</summary>
    public static string? Problem(ShardModelInfo model, IReadOnlyCollection<ShardInfo> shards)
    {
        long need = BytesPerShard(model);
        if (shards.Count == 0 || shards.Any(s => Capacity(s) < 0 || Capacity(s) >= need))
        {
            return null;
        }
        ShardInfo largest = shards.MaxBy(Capacity)!;
        string what = model.Memory.Parts.Count > 1
            ? $"its largest expert ({model.Memory.Parts.MaxBy(p => p.Bytes)!.Name}) takes {need} bytes"
            : $"its weights take {need} bytes";
        return $"no shard in the pool can host model '{model.Name}': {what} in {model.Memory.ComputeType} "
            + $"on one device, and the largest device ({largest.Device}, {largest.DeviceName}) may hold {Capacity(largest)} bytes.";
    }

    /// <summary>What <paramref name="shard"/> may hold: its budget for weights where it has one, else its device's memory; -1 unknown.</summary>
    private static long Capacity(ShardInfo shard) => shard.ModelBudgetBytes >= 0 ? shard.ModelBudgetBytes : shard.MemoryTotalBytes;
}
