using System.Globalization;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary>How status, cancel and watch print one job: its sidecar-shaped JSON, or a two-column table.</summary>
internal static class JobView
{
    public static void Print(Terminal terminal, Job job, string server)
    {
        if (terminal.Json)
        {
            terminal.WriteJson(Sidecar.Describe(job, server));
            return;
        }
        var table = new Table().HideHeaders().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("job", job.JobId);
        Row("state", Sidecar.StateName(job.State) + (string.IsNullOrEmpty(job.Error) ? "" : $": {job.Error}"));
        Row("steps", $"{job.StepsDone}/{job.StepsTotal}");
        Row("nfe", $"{job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations})");
        if (job.CertainFractions.Count > 0)
        {
            // A long run's fractions would fill the screen: the last 16 steps tell where it stands.
            IEnumerable<double> last = job.CertainFractions.Skip(Math.Max(0, job.CertainFractions.Count - 16));
            string earlier = job.CertainFractions.Count > 16 ? $"... ({job.CertainFractions.Count - 16} earlier steps) " : "";
            Row("certain", earlier + string.Join(" ", last.Select(f => f.ToString("0.00", CultureInfo.InvariantCulture))));
        }
        Row("spec", string.Join(" ", SpecNames.ToJson(job.Spec).Where(kv => kv.Key != "conditioning" && kv.Value?.ToString() is { Length: > 0 }).Select(kv => $"{kv.Key}={kv.Value}")));
        if (job.Spec.Conditioning is { Count: > 0 } given)
        {
            Row("given", $"{given.Count} frames");
        }
        Row("model sha256", job.ModelSha256);
        Row("host", job.Host);
        if (job.Shards.Count > 0)
        {
            Row("shards", string.Join(", ", job.Shards));
        }
        Row("submitted", job.SubmittedAt?.ToDateTime().ToString("u", CultureInfo.InvariantCulture) ?? "");
        if (job.StartedAt is not null)
        {
            Row("started", job.StartedAt.ToDateTime().ToString("u", CultureInfo.InvariantCulture));
        }
        if (job.FinishedAt is not null)
        {
            Row("finished", job.FinishedAt.ToDateTime().ToString("u", CultureInfo.InvariantCulture));
        }
        if (job.ExpiresAt is not null)
        {
            Row("expires", job.ExpiresAt.ToDateTime().ToString("u", CultureInfo.InvariantCulture));
        }
        if (!string.IsNullOrEmpty(job.OutputPath))
        {
            Row("output (silo)", job.OutputPath);
        }
        if (job.Resumes + job.Retries > 0)
        {
            Row("resumes/retries", $"{job.Resumes}/{job.Retries}");
        }
        AnsiConsole.Write(table);
    }

    /// <summary>The exit code a job's state means: 0 completed (or still going), 1 failed or cancelled.</summary>
    public static int ExitCodeOf(Job job) => job.State is JobState.Failed or JobState.Cancelled ? ExitCodes.JobFailed : ExitCodes.Ok;
}
