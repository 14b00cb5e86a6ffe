namespace Loom.Client.Outputs;

/// <summary>Where and how a video is written, and where its JSON sidecar goes.</summary>
/// <param name="Path">The file (or, for PNG frames, the folder).</param>
/// <param name="Format">The format, from the extension or <c>--png</c>.</param>
/// <param name="Scale">Nearest-neighbour upscale factor (not applied to safetensors).</param>
/// <param name="Fps">Frames per second of mp4 and gif.</param>
internal sealed record OutputTarget(string Path, OutputFormat Format, int Scale, int Fps)
{
    /// <summary>The upscale used when none is given: 8 for mp4/gif (physics frames are 32x32), else 1.</summary>
    public static int DefaultScale(OutputFormat format) => format is OutputFormat.Mp4 or OutputFormat.Gif ? 8 : 1;

    /// <summary>The sidecar: <c>&lt;out&gt;.json</c> (for a folder, beside it).</summary>
    public string SidecarPath => System.IO.Path.TrimEndingDirectorySeparator(Path) + ".json";

    /// <summary>The format <paramref name="path"/> asks for: by extension, a folder for PNG frames when <paramref name="png"/> or it ends in a separator or exists as a folder.</summary>
    /// <exception cref="ArgumentException">An extension loom cannot write.</exception>
    public static OutputFormat FormatOf(string path, bool png)
    {
        if (png || path.EndsWith('/') || Directory.Exists(path))
        {
            return OutputFormat.Png;
        }
        return System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".mp4" => OutputFormat.Mp4,
            ".gif" => OutputFormat.Gif,
            ".safetensors" => OutputFormat.Safetensors,
            "" => OutputFormat.Png,
            string other => throw new ArgumentException($"cannot write '{other}' files; use .mp4, .gif, .safetensors, or a folder (or --png) for PNG frames."),
        };
    }

    /// <summary>The extension (with dot) of a file in <paramref name="format"/>, empty for PNG folders.</summary>
    public static string ExtensionOf(OutputFormat format) => format switch
    {
        OutputFormat.Mp4 => ".mp4",
        OutputFormat.Gif => ".gif",
        OutputFormat.Safetensors => ".safetensors",
        _ => "",
    };
}
