namespace Loom.Contracts.Shards;

/// <summary>Clean frames of a window (float32 <c>[1, 3, L, H, W]</c>) and which of its L frames are given.</summary>
[GenerateSerializer, Alias("loom.window-conditioning"), Immutable]
public sealed record WindowConditioning(byte[] Clean, bool[] Given);
