using System.Globalization;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>Plain lines for logs and pipes: one per state change and one per finished step.</summary>
internal sealed class PlainJobReporter(Terminal terminal) : IJobReporter
{
    private readonly Dictionary<string, (JobState State, int Steps)> _seen = [];

    public void Report(string label, JobEvent e)
    {
        Job job = e.Job;
        string prefix = label == job.JobId ? $"job {job.JobId}" : $"{label} (job {job.JobId})";
        lock (_seen)
        {
            (JobState state, int steps) = _seen.TryGetValue(label, out var seen) ? seen : (JobState.Unspecified, 0);
            _seen[label] = (job.State, Math.Max(steps, job.StepsDone));
            if (job.StepsDone > steps)
            {
                double certain = job.CertainFractions.Count > 0 ? job.CertainFractions[^1] : 0;
                terminal.Line(string.Create(CultureInfo.InvariantCulture, $"{prefix}: step {job.StepsDone}/{job.StepsTotal}  nfe {job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations})  certain {certain:0.000}"));
            }
            if (job.State == state)
            {
                return;
            }
            string line = job.State switch
            {
                JobState.Queued => "queued",
                JobState.Running => $"running{(string.IsNullOrEmpty(job.Host) ? "" : $" on {job.Host}")}",
                JobState.Completed => $"completed: {job.StepsDone} steps, nfe {job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations})",
                _ => $"{Sidecar.StateName(job.State)}: {job.Error}",
            };
            terminal.Line($"{prefix}: {line}");
        }
    }

    public void Message(string text) => terminal.Line(text);
}
