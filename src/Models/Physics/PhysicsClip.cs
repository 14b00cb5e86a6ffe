namespace Loom.Models.Physics;

/// <summary>
/// A simulated clip: frames <c>[3, F, H, W]</c> as floats in [-1, 1] (channel-major, then frame, row, column), the
/// static background <c>[3, H, W]</c> in the same range, and every ball's ground-truth track.
/// </summary>
public sealed record PhysicsClip(long Seed, SceneKind Kind, int Frames, int Height, int Width, float[] Pixels, float[] Background, IReadOnlyList<BallTrack> Balls)
{
    /// <summary>
    /// The first <paramref name="count"/> frames as RGB bytes <c>[count, H, W, 3]</c> (frame-major, then row, column,
    /// channel), as image files hold them: the clip's [-1, 1] pixels scaled to 0..255 and rounded.
    /// </summary>
    public byte[] ToRgb(int count)
    {
        int plane = Height * Width;
        var rgb = new byte[count * plane * 3];
        for (int f = 0; f < count; f++)
        {
            for (int p = 0; p < plane; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float v = Pixels[((c * Frames) + f) * plane + p];
                    rgb[((f * plane) + p) * 3 + c] = (byte)Math.Clamp(Math.Round((v + 1) * 127.5), 0, 255);
                }
            }
        }
        return rgb;
    }
}
