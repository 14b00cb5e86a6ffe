using System.Text.Json.Nodes;
using Loom.Client.Api;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Outputs;

/// <summary>
/// Fetches the stored results of finished jobs (DownloadResult) and writes them to an <see cref="OutputTarget"/> with the
/// JSON sidecar: what render does after its job ends, and what download and watch --download do for any job later.
/// </summary>
internal static class JobOutput
{
    /// <summary>One job to write: as it ended, the fields its submitter set, and where its given frames came from.</summary>
    public sealed record Run(string Label, Job Job, JobSpec Request, string? Source);

    /// <summary>
    /// Downloads each run's result and writes them (two runs: baseline and refined side by side, labelled in the
    /// sidecar), then the sidecar. Returns the sidecar written.
    /// </summary>
    public static async Task<JsonObject> WriteAsync(LoomClient client, string server, OutputTarget target, IReadOnlyList<Run> runs, double clientSeconds, CancellationToken cancellationToken = default)
    {
        var results = new List<ResultFile>();
        foreach (Run run in runs)
        {
            results.Add(ResultFile.Parse(await client.DownloadAsync(run.Job.JobId, cancellationToken)));
        }
        bool compare = runs.Count == 2;
        FrameVideo video = compare ? FrameVideo.SideBySide(results[0].Video(), results[1].Video(), gap: 1) : results[0].Video();
        JsonObject output = await OutputWriter.WriteAsync(target, video, results[0].Bytes, cancellationToken);
        JsonObject sidecar = compare
            ? new JsonObject
            {
                ["compare"] = $"left: {runs[0].Label} (plan {runs[0].Job.Spec.Plan}); right: {runs[1].Label} (plan {runs[1].Job.Spec.Plan}); same seed",
                ["server"] = server,
                [runs[0].Label] = Sidecar.Of(runs[0].Job, server, runs[0].Request, runs[0].Source, clientSeconds),
                [runs[1].Label] = Sidecar.Of(runs[1].Job, server, runs[1].Request, runs[1].Source, clientSeconds),
            }
            : Sidecar.Of(runs[0].Job, server, runs[0].Request, runs[0].Source, clientSeconds);
        sidecar["output"] = output;
        await SidecarFile.WriteAsync(target.SidecarPath, sidecar, cancellationToken);
        return sidecar;
    }
}
