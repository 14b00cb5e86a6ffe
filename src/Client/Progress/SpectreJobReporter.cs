using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Progress;

/// <summary>
/// Live bars: one per job over its steps, described by its state, NFE, seconds per step and ETA (from its own measured
/// step times) and, with <c>showWindows</c>, a one-line summary of its windows.
/// </summary>
internal sealed class SpectreJobReporter(ProgressContext context, bool showWindows) : IJobReporter
{
    private readonly Dictionary<string, ProgressTask> _steps = [];
    private readonly StepEta _eta = new();

    public void Report(string label, JobEvent e)
    {
        Job job = e.Job;
        StepEta.Estimate? estimate = _eta.Observe(label, job);
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
                JobState.Running => $"step {job.StepsDone}/{job.StepsTotal} nfe {job.Evaluations} (refine {job.RefineEvaluations}) {StepEta.Describe(estimate)}",
                JobState.Completed => $"[green]completed[/] nfe {job.Evaluations} (refine {job.RefineEvaluations})",
                JobState.Failed => "[red]failed[/]",
                JobState.Cancelled => "[yellow]cancelled[/]",
                _ => "",
            };
            string windows = showWindows ? WindowSummary.Describe(job) : "";
            steps.Description = $"{Markup.Escape(label)} {state}{(windows.Length > 0 ? $" [grey]{Markup.Escape(windows)}[/]" : "")}";
            if (job.State is JobState.Completed or JobState.Failed or JobState.Cancelled)
            {
                steps.StopTask();
            }
        }
    }

    public void Message(string text) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
}
