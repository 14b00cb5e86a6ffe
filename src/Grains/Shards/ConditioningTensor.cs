namespace Loom.Grains.Shards;

/// <summary>
/// A conditioning tensor on the wire, by the name the model reads it under (<c>prompt</c>, <c>negative_prompt</c>,
/// <c>image</c>: see <c>Loom.Models.Serving.ConditioningNames</c>), float32 so a shard computes on exactly what the job has.
/// </summary>
/// <param name="Name">What the model reads it as.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Values">Its values.</param>
[GenerateSerializer, Alias("loom.conditioning-tensor"), Immutable]
public sealed record ConditioningTensor(string Name, long[] Shape, WireTensor Values);
