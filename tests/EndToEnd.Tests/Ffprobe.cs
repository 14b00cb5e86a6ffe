using System.Diagnostics;
using System.Text.Json;

namespace Loom.EndToEnd.Tests;

/// <summary>What ffprobe (a decoder that is not ours) reads in a video file: frames actually decoded, and their size.</summary>
public sealed record Ffprobe(int Frames, int Width, int Height)
{
    /// <summary>Decodes every frame of <paramref name="path"/>'s first video stream.</summary>
    public static async Task<Ffprobe> ReadAsync(string path)
    {
        var start = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height", "-of", "json", path })
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("ffprobe did not start (install ffmpeg).");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidDataException($"ffprobe could not read {path}: {await errors}");
        }
        JsonElement stream = JsonDocument.Parse(output).RootElement.GetProperty("streams")[0];
        return new Ffprobe(int.Parse(stream.GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture), stream.GetProperty("width").GetInt32(), stream.GetProperty("height").GetInt32());
    }
}
