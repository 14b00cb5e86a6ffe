namespace Loom.Contracts.Shards;

/// <summary>A decoded chunk: its video frames as 8-bit RGB <c>[frames, H, W, 3]</c>, and what it cost.</summary>
/// <param name="Rgb">The frames' bytes, frame after frame.</param>
/// <param name="Frames">Video frames in <paramref name="Rgb"/>.</param>
/// <param name="ShardId">The shard that decoded it.</param>
/// <param name="ComputeSeconds">Time of the decode on the shard's device (a first decode includes loading the VAE).</param>
[GenerateSerializer, Alias("loom.decode-result"), Immutable]
public sealed record DecodeResult(byte[] Rgb, int Frames, string ShardId, double ComputeSeconds);
