using System.CommandLine;
using Loom.Client.Cli;

namespace Loom.Client.Outputs;

/// <summary>The options that say where and how a result is written (render, download, watch --download).</summary>
internal sealed class OutputOptions
{
    public OutputOptions(Option<string> output) => Out = output;

    /// <summary>The file or folder to write; each command names it (<c>--out</c>, <c>--download</c>).</summary>
    public Option<string> Out { get; }

    public Option<bool> Png { get; } = new("--png") { Description = "Write PNG frames into the output folder." };

    public Option<int?> Scale { get; } = new("--scale") { Description = "Nearest-neighbour upscale for viewing (default 8 for mp4/gif, 1 for PNG)." };

    public Option<int> Fps { get; } = new("--fps") { Description = "Frames per second of mp4/gif.", DefaultValueFactory = _ => 8 };

    public IEnumerable<Option> All => [Out, Png, Scale, Fps];

    /// <summary>The target the options describe, checked (a bad extension, scale or fps is a usage error; mp4 needs ffmpeg).</summary>
    /// <param name="parse">The command line.</param>
    /// <param name="compare">True for a side-by-side comparison, which cannot be a safetensors file.</param>
    public OutputTarget? TargetOf(ParseResult parse, bool compare = false)
    {
        string? path = parse.GetValue(Out);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        string name = Out.Name.TrimStart('-');
        OutputFormat format;
        try
        {
            format = OutputTarget.FormatOf(path, parse.GetValue(Png));
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, $"{Out.Name}: {e.Message}", name);
        }
        if (compare && format == OutputFormat.Safetensors)
        {
            throw new CliException(ExitCodes.Usage, $"{Out.Name}: --compare writes one side-by-side video: use .mp4, .gif or a folder of PNG frames.", name);
        }
        int scale = parse.GetValue(Scale) ?? OutputTarget.DefaultScale(format);
        int fps = parse.GetValue(Fps);
        if (scale is < 1 or > 64)
        {
            throw new CliException(ExitCodes.Usage, $"--scale: must be in 1..64; got {scale}.", "scale");
        }
        if (fps is < 1 or > 120)
        {
            throw new CliException(ExitCodes.Usage, $"--fps: must be in 1..120; got {fps}.", "fps");
        }
        if (format == OutputFormat.Mp4)
        {
            Mp4Encoder.EnsureAvailable();
        }
        return new OutputTarget(path, format, scale, fps);
    }
}
