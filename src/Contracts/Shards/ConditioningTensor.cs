namespace Loom.Contracts.Shards;

/// <summary>
/// A conditioning tensor on the wire, under the name the shard's model reads it by (<c>prompt</c>, <c>negative_prompt</c>,
/// <c>image</c>), float32 so a shard computes on exactly what the job has.
/// </summary>
/// <param name="Name">What the model reads it as.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Values">Its values.</param>
[GenerateSerializer, Alias("loom.conditioning-tensor"), Immutable]
public sealed record ConditioningTensor(string Name, long[] Shape, WireTensor Values);
