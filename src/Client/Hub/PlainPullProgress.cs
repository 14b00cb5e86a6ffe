using System.Text.Json.Nodes;
using Loom.Client.Cli;

namespace Loom.Client.Hub;

/// <summary>
/// Pull progress for logs and pipes: a line per file finished, and for big files a line at each tenth of the way;
/// with <c>--json</c>, one JSON object per file finished instead.
/// </summary>
internal sealed class PlainPullProgress(Terminal terminal) : IPullProgress
{
    /// <summary>Files below this size get no intermediate lines.</summary>
    private const long Large = 64_000_000;

    private readonly Dictionary<string, (long Done, int Tenth)> _files = [];

    public void Started(HubFile file, long offset) => _files[file.Path] = (offset, file.Size is long size && size > 0 ? (int)(offset * 10 / size) : 0);

    public void Advanced(HubFile file, long bytes)
    {
        (long done, int tenth) = _files.GetValueOrDefault(file.Path);
        done += bytes;
        int now = file.Size is long size && size > 0 ? (int)(done * 10 / size) : 0;
        if (now > tenth && now < 10 && file.Size >= Large)
        {
            terminal.Line($"  {file.Path}: {now * 10}% ({ByteSize.Format(done)} of {ByteSize.Format(file.Size.Value)})");
        }
        _files[file.Path] = (done, Math.Max(now, tenth));
    }

    public void Finished(HubFile file, string outcome)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(new JsonObject { ["file"] = file.Path, ["bytes"] = file.Size, ["outcome"] = outcome });
            return;
        }
        terminal.Line($"{file.Path} ({ByteSize.Format(file.Size ?? 0)}): {outcome}");
    }

    public void Note(string text)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(new JsonObject { ["note"] = text });
            return;
        }
        terminal.Line(text);
    }
}
