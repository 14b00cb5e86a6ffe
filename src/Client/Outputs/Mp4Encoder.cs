using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Loom.Client.Cli;

namespace Loom.Client.Outputs;

/// <summary>H.264 MP4 through an <c>ffmpeg</c> process: raw rgb24 frames piped in, libx264 yuv420p out.</summary>
internal static class Mp4Encoder
{
    private const string Missing = "ffmpeg was not found on PATH, and .mp4 needs it: install ffmpeg (apt-get install ffmpeg), or write .gif, .safetensors or PNG frames (--png).";

    /// <summary>Fails early, before anything is rendered, when ffmpeg cannot be started.</summary>
    /// <exception cref="CliException">ffmpeg is missing.</exception>
    public static void EnsureAvailable()
    {
        try
        {
            using Process probe = Process.Start(new ProcessStartInfo("ffmpeg", "-version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
                ?? throw new Win32Exception("ffmpeg did not start");
            probe.StandardOutput.ReadToEnd();
            probe.WaitForExit();
        }
        catch (Win32Exception)
        {
            throw new CliException(ExitCodes.OutputFailed, Missing, "out");
        }
    }

    /// <summary>Encodes <paramref name="video"/> into <paramref name="path"/>.</summary>
    /// <exception cref="CliException">ffmpeg is missing or failed.</exception>
    public static async Task WriteAsync(FrameVideo video, string path, int fps, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{video.Width}x{video.Height}", "-r", fps.ToString(CultureInfo.InvariantCulture), "-i", "-",
            // yuv420p needs even sizes; pad odd ones with a black edge rather than refuse them.
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", path,
        })
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("ffmpeg did not start");
        }
        catch (Win32Exception)
        {
            throw new CliException(ExitCodes.OutputFailed, Missing, "out");
        }
        using (process)
        {
            Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(video.Rgb, cancellationToken);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // ffmpeg quit early; its stderr says why.
            }
            await process.WaitForExitAsync(cancellationToken);
            string log = await errors;
            await output;
            if (process.ExitCode != 0)
            {
                throw new CliException(ExitCodes.OutputFailed, $"ffmpeg failed (exit {process.ExitCode}): {log.Trim()}", "out");
            }
        }
    }
}
