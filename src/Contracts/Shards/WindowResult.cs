namespace Loom.Contracts.Shards;

/// <summary>A window's velocity (the request's shape and wire precision) and what it cost.</summary>
/// <param name="Velocity">The velocity values.</param>
/// <param name="Evaluations">Forward passes spent on this request (CFG counts two).</param>
/// <param name="ShardId">The shard that evaluated it.</param>
/// <param name="QueueSeconds">Time waiting in the shard's queue.</param>
/// <param name="ComputeSeconds">Time of the forward pass it was part of.</param>
/// <param name="BatchRequests">Requests that shared that forward pass.</param>
[GenerateSerializer, Alias("loom.window-result"), Immutable]
public sealed record WindowResult(WireTensor Velocity, int Evaluations, string ShardId, double QueueSeconds, double ComputeSeconds, int BatchRequests);
