namespace Loom.Client.Batch;

/// <summary>What happened to one manifest item.</summary>
internal sealed record BatchItemOutcome(ManifestItem Item, BatchItemStatus Status, string? JobId, string? Message, string? Field, string? Output, long Evaluations, double Seconds);
