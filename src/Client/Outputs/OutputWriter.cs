using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Loom.Client.Outputs;

/// <summary>Writes a result to an <see cref="OutputTarget"/> and describes what it wrote (for the sidecar).</summary>
internal static class OutputWriter
{
    /// <summary>
    /// Writes <paramref name="video"/> (already side by side for a comparison) or, for safetensors, <paramref name="resultBytes"/>.
    /// Single files are written beside the target and moved into place, so a file that exists is a whole one.
    /// </summary>
    public static async Task<JsonObject> WriteAsync(OutputTarget target, FrameVideo video, ReadOnlyMemory<byte> resultBytes, CancellationToken cancellationToken = default)
    {
        string path = Path.GetFullPath(target.Path);
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path));
        if (!string.IsNullOrEmpty(parent))
        {
            Directory.CreateDirectory(parent);
        }
        FrameVideo shown = target.Format == OutputFormat.Safetensors ? video : video.Upscale(target.Scale);
        var described = new JsonObject
        {
            ["path"] = path,
            ["format"] = target.Format.ToString().ToLowerInvariant(),
            ["frames"] = shown.Frames,
            ["width"] = shown.Width,
            ["height"] = shown.Height,
            ["scale"] = target.Format == OutputFormat.Safetensors ? 1 : target.Scale,
            ["fps"] = target.Fps,
        };
        if (target.Format == OutputFormat.Png)
        {
            IReadOnlyList<string> files = ImageFrames.WritePngs(shown, path);
            described["files"] = files.Count;
            described["sha256"] = Digest(files);
            return described;
        }
        string temporary = path + ".partial";
        switch (target.Format)
        {
            case OutputFormat.Mp4:
                await Mp4Encoder.WriteAsync(shown, temporary, target.Fps, cancellationToken);
                break;
            case OutputFormat.Gif:
                ImageFrames.WriteGif(shown, temporary, target.Fps);
                break;
            default:
                await File.WriteAllBytesAsync(temporary, resultBytes, cancellationToken);
                break;
        }
        File.Move(temporary, path, overwrite: true);
        described["bytes"] = new FileInfo(path).Length;
        described["sha256"] = Digest([path]);
        return described;
    }

    /// <summary>SHA-256 over the files' bytes in order: what the sidecar records, and what a resumed batch checks.</summary>
    public static string Digest(IEnumerable<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files)
        {
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The digest of what is at <paramref name="path"/> now (a file, or a folder's PNG frames), or null if nothing is.</summary>
    public static string? DigestOf(string path, OutputFormat format)
    {
        if (format == OutputFormat.Png)
        {
            return Directory.Exists(path) ? Digest(Directory.GetFiles(path, "frame_*.png").Order(StringComparer.Ordinal)) : null;
        }
        return File.Exists(path) ? Digest([path]) : null;
    }
}
