using System.Globalization;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>Plain lines for logs and pipes: one per state change and one per finished step.</summary>
internal sealed class PlainJobReporter(Terminal terminal) : IJobReporter
{
    private readonly Dictionary<string, (JobState State, int Steps)> _seen = [];
    private readonly StepEta _eta = new();

    public void Report(string label, JobEvent e)
    {
        Job job = e.Job;
        StepEta.Estimate? estimate = _eta.Observe(label, job);
        string prefix = label == job.JobId ? $"job {job.JobId}" : $"{label} (job {job.JobId})";
        lock (_seen)
        {
            (JobState state, int steps) = _seen.TryGetValue(label, out var seen) ? seen : (JobState.Unspecified, 0);
            _seen[label] = (job.State, Math.Max(steps, job.StepsDone));
            bool final = job.State is JobState.Completed or JobState.Failed or JobState.Cancelled;
            if (job.State != state && !final)
            {
                terminal.Line($"{prefix}: {(job.State == JobState.Queued ? "queued" : $"running{(string.IsNullOrEmpty(job.Host) ? "" : $" on {job.Host}")}")}");
            }
            if (job.StepsDone > steps)
            {
                double certain = job.CertainFractions.Count > 0 ? job.CertainFractions[^1] : 0;
                terminal.Line(string.Create(CultureInfo.InvariantCulture, $"{prefix}: step {job.StepsDone}/{job.StepsTotal}  nfe {job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations})  certain {certain:0.000}  {StepEta.Describe(estimate)}"));
            }
            if (job.State != state && final)
            {
                terminal.Line(job.State == JobState.Completed
                    ? $"{prefix}: completed: {job.StepsDone} steps, nfe {job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations}){(job.Windows.Count > 1 ? $"; {WindowSummary.Describe(job)}" : "")}"
                    : $"{prefix}: {Sidecar.StateName(job.State)}: {job.Error}");
            }
        }
    }

    public void Message(string text) => terminal.Line(text);
}
