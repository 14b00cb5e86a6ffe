using ImageMagick;

namespace Loom.Client.Outputs;

/// <summary>GIF and PNG output, and reading conditioning frames from image files, through Magick.NET.</summary>
internal static class ImageFrames
{
    /// <summary>A looping animated GIF of <paramref name="video"/>.</summary>
    public static void WriteGif(FrameVideo video, string path, int fps)
    {
        using var frames = new MagickImageCollection();
        uint delay = (uint)Math.Max(1, (int)Math.Round(100.0 / fps));
        for (int f = 0; f < video.Frames; f++)
        {
            var image = Image(video, f);
            image.AnimationDelay = delay;
            image.GifDisposeMethod = GifDisposeMethod.None;
            frames.Add(image);
        }
        frames[0].AnimationIterations = 0;
        frames.Write(path, MagickFormat.Gif);
    }

    /// <summary>One PNG per frame in folder <paramref name="directory"/>: <c>frame_0000.png</c>, ...; returns their paths.</summary>
    public static IReadOnlyList<string> WritePngs(FrameVideo video, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        for (int f = 0; f < video.Frames; f++)
        {
            string path = Path.Combine(directory, $"frame_{f:D4}.png");
            using MagickImage image = Image(video, f);
            image.Write(path, MagickFormat.Png24);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The RGB bytes (<c>[H, W, 3]</c>) of an image file, with its size.</summary>
    public static (byte[] Rgb, int Height, int Width) ReadRgb(string path)
    {
        using var image = new MagickImage(path);
        image.ColorSpace = ColorSpace.sRGB;
        using IPixelCollection<byte> pixels = image.GetPixels();
        byte[] rgb = pixels.ToByteArray(PixelMapping.RGB) ?? throw new InvalidDataException($"{path}: no pixels.");
        return (rgb, (int)image.Height, (int)image.Width);
    }

    private static MagickImage Image(FrameVideo video, int frame)
    {
        var settings = new PixelReadSettings((uint)video.Width, (uint)video.Height, StorageType.Char, PixelMapping.RGB);
        var image = new MagickImage();
        image.ReadPixels(video.Frame(frame).ToArray(), settings);
        return image;
    }
}
