using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>One JSON object per event on stdout (<c>--json</c>).</summary>
internal sealed class JsonJobReporter(Terminal terminal) : IJobReporter
{
    private readonly StepEta _eta = new();

    public void Report(string label, JobEvent e)
    {
        Job job = e.Job;
        StepEta.Estimate? estimate = _eta.Observe(label, job);
        if (e.Kind == JobEventKind.Windows)
        {
            return;
        }
        terminal.WriteJson(new JsonObject
        {
            ["event"] = e.Kind.ToString().ToLowerInvariant(),
            ["label"] = label,
            ["job_id"] = job.JobId,
            ["state"] = Sidecar.StateName(job.State),
            ["steps_done"] = job.StepsDone,
            ["steps_total"] = job.StepsTotal,
            ["evaluations"] = job.Evaluations,
            ["refine"] = job.RefineEvaluations,
            ["skipped"] = job.SkippedEvaluations,
            ["certain_fraction"] = job.CertainFractions.Count > 0 ? job.CertainFractions[^1] : null,
            ["seconds_per_step"] = estimate is null ? null : Math.Round(estimate.PerStep.TotalSeconds, 3),
            ["eta_seconds"] = estimate is null ? null : Math.Round(estimate.Left.TotalSeconds, 1),
            ["error"] = string.IsNullOrEmpty(job.Error) ? null : job.Error,
        });
    }

    public void Message(string text) => terminal.WriteJson(new JsonObject { ["event"] = "message", ["message"] = text });
}
