using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// The JSON written beside every output (<c>&lt;out&gt;.json</c>): the effective spec, seed, model hash, NFE, per-step
/// certain fractions, timings, job id and server, so that a video can always be traced to how it was made.
/// </summary>
internal static class Sidecar
{
    /// <summary>The record of one finished job.</summary>
    /// <param name="job">The job as it ended.</param>
    /// <param name="server">Its server's address, or <c>embedded</c>.</param>
    /// <param name="request">The fields the user set (the rest took the server's defaults).</param>
    /// <param name="conditioningSource">Where the given frames came from (files, a test scene), or null.</param>
    /// <param name="clientSeconds">Wall-clock time on the client, from submit to result written.</param>
    public static JsonObject Of(Job job, string server, JobSpec request, string? conditioningSource, double clientSeconds)
    {
        JsonObject sidecar = Describe(job, server);
        JsonObject asked = SpecNames.ToJson(request);
        if (sidecar["spec"]?["conditioning"] is JsonObject given && asked["conditioning"] is JsonObject sent)
        {
            given["bytes"] = sent["bytes"]?.DeepClone();
            given["sha256"] = sent["sha256"]?.DeepClone();
            given["source"] = conditioningSource;
        }
        sidecar["request"] = asked;
        ((JsonObject)sidecar["timings"]!)["client_seconds"] = Math.Round(clientSeconds, 3);
        return sidecar;
    }

    /// <summary>Everything the server says about <paramref name="job"/>, as the sidecar and <c>loom status --json</c> show it.</summary>
    public static JsonObject Describe(Job job, string server)
    {
        JsonObject spec = SpecNames.ToJson(job.Spec);
        long evaluations = job.Evaluations, refine = job.RefineEvaluations;
        return new JsonObject
        {
            ["job_id"] = job.JobId,
            ["server"] = server,
            ["host"] = job.Host,
            ["state"] = StateName(job.State),
            ["error"] = string.IsNullOrEmpty(job.Error) ? null : job.Error,
            ["seed"] = job.Spec.Seed,
            ["model"] = job.Spec.Model,
            ["model_sha256"] = job.ModelSha256,
            ["latent_sha256"] = job.LatentSha256,
            ["spec"] = spec,
            ["idempotency_key"] = string.IsNullOrEmpty(job.IdempotencyKey) ? null : job.IdempotencyKey,
            ["nfe"] = new JsonObject
            {
                ["evaluations"] = evaluations,
                ["base"] = evaluations - refine,
                ["refine"] = refine,
                ["skipped"] = job.SkippedEvaluations,
            },
            ["steps"] = new JsonObject { ["done"] = job.StepsDone, ["total"] = job.StepsTotal },
            ["certain_fractions"] = new JsonArray(job.CertainFractions.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
            ["windows"] = new JsonArray(job.Windows.Select(w => (JsonNode?)new JsonObject
            {
                ["index"] = w.Index,
                ["first_frame"] = w.FirstFrame,
                ["length"] = w.Length,
                ["evaluations"] = w.Evaluations,
                ["skipped"] = w.Skipped,
            }).ToArray()),
            ["timings"] = new JsonObject
            {
                ["submitted_at"] = Time(job.SubmittedAt),
                ["started_at"] = Time(job.StartedAt),
                ["finished_at"] = Time(job.FinishedAt),
                ["expires_at"] = Time(job.ExpiresAt),
                ["queued_seconds"] = Seconds(job.SubmittedAt, job.StartedAt),
                ["sampling_seconds"] = Seconds(job.StartedAt, job.FinishedAt),
                ["total_seconds"] = Seconds(job.SubmittedAt, job.FinishedAt),
            },
            ["resumes"] = job.Resumes,
            ["retries"] = job.Retries,
            ["shards"] = new JsonArray(job.Shards.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            ["result_bytes"] = job.ResultBytes,
            ["wire"] = new JsonObject { ["messages"] = job.Messages, ["bytes_sent"] = job.BytesSent, ["bytes_received"] = job.BytesReceived },
            ["client"] = $"loom {typeof(Sidecar).Assembly.GetName().Version}",
        };
    }

    /// <summary>Lower-case state name: queued, running, completed, failed, cancelled.</summary>
    public static string StateName(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static string? Time(Timestamp? at) => at is null ? null : at.ToDateTime().ToString("O");

    private static double? Seconds(Timestamp? from, Timestamp? to)
        => from is null || to is null ? null : Math.Round((to.ToDateTime() - from.ToDateTime()).TotalSeconds, 3);
}
