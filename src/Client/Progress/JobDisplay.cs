using Loom.Client.Cli;
using Spectre.Console;

namespace Loom.Client.Progress;

/// <summary>Runs work with the reporter that fits the terminal: live bars, plain lines, or JSON lines.</summary>
internal static class JobDisplay
{
    /// <summary>Runs <paramref name="work"/>; bars (with per-window bars when <paramref name="showWindows"/>) are cleared of the screen's live region when it returns.</summary>
    public static async Task<T> RunAsync<T>(Terminal terminal, bool showWindows, Func<IJobReporter, Task<T>> work)
    {
        if (terminal.Json)
        {
            return await work(new JsonJobReporter(terminal));
        }
        if (!terminal.Interactive)
        {
            return await work(new PlainJobReporter(terminal));
        }
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(context => work(new SpectreJobReporter(context, showWindows)));
    }
}
