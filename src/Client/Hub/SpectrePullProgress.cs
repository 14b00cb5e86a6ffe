using Spectre.Console;

namespace Loom.Client.Hub;

/// <summary>Pull progress for a person at a terminal: one bar per file (size, speed, time left), notes above the bars.</summary>
internal sealed class SpectrePullProgress(ProgressContext context) : IPullProgress
{
    private readonly Dictionary<string, ProgressTask> _bars = [];

    public void Started(HubFile file, long offset)
    {
        if (!_bars.TryGetValue(file.Path, out ProgressTask? bar))
        {
            bar = context.AddTask(Markup.Escape(file.Path), maxValue: Math.Max(1, file.Size ?? 1));
            _bars[file.Path] = bar;
        }
        bar.Value = offset;
    }

    public void Advanced(HubFile file, long bytes)
    {
        if (_bars.TryGetValue(file.Path, out ProgressTask? bar))
        {
            bar.Increment(bytes);
        }
    }

    public void Finished(HubFile file, string outcome)
    {
        if (!_bars.TryGetValue(file.Path, out ProgressTask? bar))
        {
            bar = context.AddTask(Markup.Escape(file.Path), maxValue: Math.Max(1, file.Size ?? 1));
            _bars[file.Path] = bar;
        }
        bar.Value = bar.MaxValue;
        bar.Description = $"{Markup.Escape(file.Path)} [grey]{Markup.Escape(outcome)}[/]";
        bar.StopTask();
    }

    public void Note(string text) => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(text)}[/]");
}
