namespace Loom.Contracts.Jobs;

/// <summary>The queue now.</summary>
[GenerateSerializer, Alias("loom.queue-info"), Immutable]
public sealed record QueueInfo(int Waiting, IReadOnlyList<string> Running, bool Paused, long Admitted);
