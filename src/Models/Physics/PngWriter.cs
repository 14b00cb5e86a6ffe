using System.IO.Compression;
using System.Text;

namespace Loom.Models.Physics;

/// <summary>Writes 8-bit RGB PNG files (no dependency beyond zlib in the BCL).</summary>
public static class PngWriter
{
    /// <summary>Writes <paramref name="rgb"/> (<c>height * width * 3</c> bytes, row-major) to <paramref name="path"/>.</summary>
    public static void Write(string path, int width, int height, byte[] rgb)
    {
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"expected {width * height * 3} bytes for {width}x{height} RGB, got {rgb.Length}.", nameof(rgb));
        }
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, (uint)width);
        WriteBigEndian(header, 4, (uint)height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: RGB
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(rgb, y * width * 3, width * 3);
            }
        }
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
    }

    /// <summary>
    /// Lays frames <c>[3, F, H, W]</c> in [-1, 1] side by side (one row per video) at <paramref name="scale"/>x and writes a PNG.
    /// </summary>
    public static void WriteStrip(string path, IReadOnlyList<float[]> videos, int frames, int height, int width, int scale = 4)
    {
        int stripWidth = frames * (width + 1) * scale, stripHeight = videos.Count * (height + 1) * scale;
        var rgb = new byte[stripWidth * stripHeight * 3];
        for (int v = 0; v < videos.Count; v++)
        {
            for (int f = 0; f < frames; f++)
            {
                for (int y = 0; y < height * scale; y++)
                {
                    for (int x = 0; x < width * scale; x++)
                    {
                        int outX = f * (width + 1) * scale + x, outY = v * (height + 1) * scale + y;
                        for (int c = 0; c < 3; c++)
                        {
                            float value = videos[v][((c * frames + f) * height + y / scale) * width + x / scale];
                            rgb[(outY * stripWidth + outX) * 3 + c] = (byte)Math.Clamp((value + 1) * 127.5f + 0.5f, 0, 255);
                        }
                    }
                }
            }
        }
        Write(path, stripWidth, stripHeight, rgb);
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, (uint)data.Length);
        stream.Write(length);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, Crc32(typeBytes, data));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] type, byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in type.Concat(data))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

    private static void WriteBigEndian(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
