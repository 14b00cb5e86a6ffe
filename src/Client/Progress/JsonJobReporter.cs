using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>One JSON object per event on stdout (<c>--json</c>).</summary>
internal sealed class JsonJobReporter(Terminal terminal) : IJobReporter
{
    public void Report(string label, JobEvent e)
    {
        if (e.Kind == JobEventKind.Windows)
        {
            return;
        }
        Job job = e.Job;
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
            ["error"] = string.IsNullOrEmpty(job.Error) ? null : job.Error,
        });
    }

    public void Message(string text) => terminal.WriteJson(new JsonObject { ["event"] = "message", ["message"] = text });
}
