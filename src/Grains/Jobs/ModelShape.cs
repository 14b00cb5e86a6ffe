namespace Loom.Grains.Jobs;

/// <summary>What a model accepts: its frame size, its patch (sizes must be multiples) and the longest window it sees.</summary>
[GenerateSerializer, Alias("loom.model-shape"), Immutable]
public sealed record ModelShape(string Name, int Height, int Width, int Patch, int MaxWindow, string Sha256);
