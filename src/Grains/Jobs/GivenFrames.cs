using Loom.Models.Physics;

namespace Loom.Grains.Jobs;

/// <summary>
/// The first <see cref="Count"/> frames of the video, given clean: RGB bytes, frame-major then row, column, channel
/// (<c>[Count, H, W, 3]</c>), as read from image files.
/// </summary>
[GenerateSerializer, Alias("loom.given-frames"), Immutable]
public sealed record GivenFrames(int Count, byte[] Rgb)
{
    /// <summary>The first <paramref name="count"/> frames of a simulated clip (its pixels are in [-1, 1], channel-major).</summary>
    public static GivenFrames FromClip(PhysicsClip clip, int count)
    {
        int plane = clip.Height * clip.Width;
        var rgb = new byte[count * plane * 3];
        for (int f = 0; f < count; f++)
        {
            for (int p = 0; p < plane; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float v = clip.Pixels[((c * clip.Frames) + f) * plane + p];
                    rgb[((f * plane) + p) * 3 + c] = (byte)Math.Clamp(Math.Round((v + 1) * 127.5), 0, 255);
                }
            }
        }
        return new GivenFrames(count, rgb);
    }
}
