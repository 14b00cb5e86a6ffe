namespace Loom.Client.Outputs;

/// <summary>RGB frames, frame-major then row, column, channel (<c>[Frames, Height, Width, 3]</c>).</summary>
internal sealed record FrameVideo(int Frames, int Height, int Width, byte[] Rgb)
{
    /// <summary>Bytes of one frame.</summary>
    public int FrameBytes => Height * Width * 3;

    /// <summary>Frame <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Frame(int index) => Rgb.AsSpan(index * FrameBytes, FrameBytes);

    /// <summary>Each pixel repeated <paramref name="factor"/> times in both directions (nearest neighbour), for viewing tiny frames.</summary>
    public FrameVideo Upscale(int factor)
    {
        if (factor == 1)
        {
            return this;
        }
        int h = Height * factor, w = Width * factor;
        var rgb = new byte[Frames * h * w * 3];
        for (int f = 0; f < Frames; f++)
        {
            for (int y = 0; y < h; y++)
            {
                int src = ((f * Height) + (y / factor)) * Width * 3;
                int dst = ((f * h) + y) * w * 3;
                for (int x = 0; x < w; x++)
                {
                    Rgb.AsSpan(src + ((x / factor) * 3), 3).CopyTo(rgb.AsSpan(dst + (x * 3), 3));
                }
            }
        }
        return new FrameVideo(Frames, h, w, rgb);
    }

    /// <summary><paramref name="left"/> and <paramref name="right"/> next to each other, <paramref name="gap"/> black columns between them.</summary>
    public static FrameVideo SideBySide(FrameVideo left, FrameVideo right, int gap)
    {
        if (left.Frames != right.Frames || left.Height != right.Height)
        {
            throw new ArgumentException($"side by side needs equal frame counts and heights; got {left.Frames}x{left.Height} and {right.Frames}x{right.Height}.");
        }
        int w = left.Width + gap + right.Width;
        var rgb = new byte[left.Frames * left.Height * w * 3];
        for (int f = 0; f < left.Frames; f++)
        {
            for (int y = 0; y < left.Height; y++)
            {
                int row = ((f * left.Height) + y) * w * 3;
                left.Rgb.AsSpan(((f * left.Height) + y) * left.Width * 3, left.Width * 3).CopyTo(rgb.AsSpan(row));
                right.Rgb.AsSpan(((f * right.Height) + y) * right.Width * 3, right.Width * 3).CopyTo(rgb.AsSpan(row + ((left.Width + gap) * 3)));
            }
        }
        return new FrameVideo(left.Frames, left.Height, w, rgb);
    }
}
