namespace Loom.Contracts.Jobs;

/// <summary>
/// What a model accepts: its frame size, its patch (sizes must be multiples), the longest window it sees, and whether
/// it takes a text prompt.
/// </summary>
[GenerateSerializer, Alias("loom.model-shape"), Immutable]
public sealed record ModelShape(string Name, int Height, int Width, int Patch, int MaxWindow, string Sha256, bool TextConditioned = false);
