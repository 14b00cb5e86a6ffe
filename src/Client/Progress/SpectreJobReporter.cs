using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Progress;

/// <summary>
/// Live bars: one per job over its steps and, with <c>showWindows</c>, one per temporal window over its evaluations
/// (evaluated + skipped, out of the base-plus-refinement budget that fits the window's share of the plan).
/// </summary>
internal sealed class SpectreJobReporter(ProgressContext context, bool showWindows) : IJobReporter
{
    private readonly Dictionary<string, ProgressTask> _steps = [];
    private readonly Dictionary<(string, int), ProgressTask> _windows = [];

    public void Report(string label, JobEvent e)
    {
        Job job = e.Job;
        lock (_steps)
        {
            if (!_steps.TryGetValue(label, out ProgressTask? steps))
            {
                steps = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, job.StepsTotal));
                _steps[label] = steps;
            }
            steps.MaxValue = Math.Max(1, job.StepsTotal);
            steps.Value = job.StepsDone;
            string state = job.State switch
            {
                JobState.Queued => "[grey]queued[/]",
                JobState.Running => $"step {job.StepsDone}/{job.StepsTotal} nfe {job.Evaluations}",
                JobState.Completed => "[green]completed[/]",
                JobState.Failed => "[red]failed[/]",
                JobState.Cancelled => "[yellow]cancelled[/]",
                _ => "",
            };
            steps.Description = $"{Markup.Escape(label)} {state}";
            if (showWindows && job.Windows.Count > 1)
            {
                long budget = Math.Max(1, WindowBudget(job));
                foreach (WindowProgress w in job.Windows)
                {
                    if (!_windows.TryGetValue((label, w.Index), out ProgressTask? bar))
                    {
                        bar = context.AddTask($"  window {w.Index} (frames {w.FirstFrame}-{w.FirstFrame + w.Length - 1})", maxValue: budget);
                        _windows[(label, w.Index)] = bar;
                    }
                    bar.Value = job.State == JobState.Completed ? budget : Math.Min(budget, w.Evaluations + w.Skipped);
                    bar.Description = $"  window {w.Index} (frames {w.FirstFrame}-{w.FirstFrame + w.Length - 1}) evals {w.Evaluations} skipped {w.Skipped}";
                }
            }
            if (job.State is JobState.Completed or JobState.Failed or JobState.Cancelled)
            {
                steps.StopTask();
                foreach (var ((owner, _), bar) in _windows)
                {
                    if (owner == label)
                    {
                        bar.StopTask();
                    }
                }
            }
        }
    }

    public void Message(string text) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(text)}[/]");

    /// <summary>
    /// Most evaluations one window can take, as the server planned them (early stops and skipped windows take fewer; a
    /// completed window's bar is filled); the step count from a server that does not say.
    /// </summary>
    private static long WindowBudget(Job job) => job.PlannedWindowEvaluations > 0 ? job.PlannedWindowEvaluations : job.StepsTotal;
}
