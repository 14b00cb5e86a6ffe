namespace Loom.Contracts.Jobs;

/// <summary>
/// The first <see cref="Count"/> frames of the video, given clean: RGB bytes, frame-major then row, column, channel
/// (<c>[Count, H, W, 3]</c>), as read from image files.
/// </summary>
[GenerateSerializer, Alias("loom.given-frames"), Immutable]
public sealed record GivenFrames(int Count, byte[] Rgb);
