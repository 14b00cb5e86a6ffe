using Loom.Contracts.Jobs;
using Loom.Grains.Routing;

namespace Loom.Grains.Jobs;

/// <summary>A job's persisted state. Never renumber these members.</summary>
[GenerateSerializer, Alias("loom.render-job-state")]
public sealed class RenderJobState
{
    /// <summary>The accepted spec; null until a submit is accepted.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>Phase.</summary>
    [Id(1)] public JobPhase Phase { get; set; }

    /// <summary>Steps finished and checkpointed.</summary>
    [Id(2)] public int StepsDone { get; set; }

    /// <summary>Forward passes spent.</summary>
    [Id(3)] public int Evaluations { get; set; }

    /// <summary>Forward passes spent by refinement.</summary>
    [Id(4)] public int RefineEvaluations { get; set; }

    /// <summary>Forward passes saved by window skipping.</summary>
    [Id(5)] public int SkippedEvaluations { get; set; }

    /// <summary>Certain share after each step.</summary>
    [Id(6)] public List<double> CertainFractions { get; set; } = [];

    /// <summary>Failure or cancel reason.</summary>
    [Id(7)] public string? Error { get; set; }

    /// <summary>Result path.</summary>
    [Id(8)] public string? OutputPath { get; set; }

    /// <summary>SHA-256 of the final latent.</summary>
    [Id(9)] public string? LatentSha256 { get; set; }

    /// <summary>Loop restarts from a checkpoint.</summary>
    [Id(10)] public int Resumes { get; set; }

    /// <summary>Evaluations retried elsewhere.</summary>
    [Id(11)] public int Retries { get; set; }

    /// <summary>Shards used.</summary>
    [Id(12)] public List<string> Shards { get; set; } = [];

    /// <summary>Accepted at.</summary>
    [Id(13)] public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>Admitted at.</summary>
    [Id(14)] public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Finished at.</summary>
    [Id(15)] public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Admission order.</summary>
    [Id(16)] public long AdmissionOrder { get; set; }

    /// <summary>The idempotency key it was submitted under, if any.</summary>
    [Id(17)] public string? IdempotencyKey { get; set; }

    /// <summary>Per-window cost, as of the last finished step.</summary>
    [Id(18)] public List<WindowProgress> Windows { get; set; } = [];

    /// <summary>SHA-256 of the model file when the job was accepted.</summary>
    [Id(19)] public string? ModelSha256 { get; set; }

    /// <summary>Size of the result file in bytes (0 until completed).</summary>
    [Id(20)] public long ResultBytes { get; set; }

    /// <summary>Evaluation calls made to shards, retries included.</summary>
    [Id(21)] public long WireMessages { get; set; }

    /// <summary>Payload bytes sent to shards (latents, conditioning).</summary>
    [Id(22)] public long WireBytesSent { get; set; }

    /// <summary>Payload bytes received from shards (velocities).</summary>
    [Id(23)] public long WireBytesReceived { get; set; }

    /// <summary>SHA-256 of the result file as written (a stored copy that differs is corrupt and never served).</summary>
    [Id(24)] public string? ResultSha256 { get; set; }

    /// <summary>Epoch of the latest job loop (raised and saved as each loop starts); its checkpoints carry it.</summary>
    [Id(25)] public long Epoch { get; set; }

    /// <summary>The state of a job just accepted: queued, with zero counts for each of its windows.</summary>
    /// <param name="recipe">The validated spec.</param>
    /// <param name="idempotencyKey">The key it was submitted under, if any.</param>
    /// <param name="modelSha256">SHA-256 of the model file it is accepted for.</param>
    /// <param name="epoch">The epoch so far (above the tombstone of a deleted job that had this id).</param>
    public static RenderJobState Accepted(JobRecipe recipe, string? idempotencyKey, string? modelSha256, long epoch) => new()
    {
        Spec = recipe.Spec,
        Phase = JobPhase.Queued,
        SubmittedAt = DateTimeOffset.UtcNow,
        IdempotencyKey = idempotencyKey,
        Windows = WindowTally.Empty(recipe.Windows),
        ModelSha256 = modelSha256,
        Epoch = epoch,
    };

    /// <summary>Throws unless a repeated submit of <paramref name="spec"/> under <paramref name="idempotencyKey"/> is this job again.</summary>
    /// <exception cref="InvalidJobSpecException">Another spec under this id or this key, or another key for this job.</exception>
    public void CheckResubmit(string jobId, JobSpec spec, string? idempotencyKey)
    {
        if (Spec is { } existing && !existing.SameAs(spec))
        {
            throw idempotencyKey is not null && idempotencyKey == IdempotencyKey
                ? new InvalidJobSpecException("idempotency_key", $"'{idempotencyKey}' was first used for job '{jobId}' with a different spec.")
                : new InvalidJobSpecException("job_id", $"job '{jobId}' already exists with a different spec.");
        }
        if (idempotencyKey is not null && IdempotencyKey is { } first && first != idempotencyKey)
        {
            throw new InvalidJobSpecException("idempotency_key", $"job '{jobId}' was submitted under another idempotency key.");
        }
    }

    /// <summary>
    /// The job as its owner sees it, built here and nowhere else. <paramref name="live"/>: the counters of the job's
    /// loop on this silo, whose step still running (not yet folded in) shows in the windows while the job runs;
    /// <paramref name="expiresAt"/>: when the retention sweep deletes the finished job, if it does.
    /// </summary>
    /// <exception cref="JobNotFoundException">No job was accepted under <paramref name="jobId"/>.</exception>
    public JobStatus ToStatus(string jobId, string host, JobCounters? live, DateTimeOffset? expiresAt = null)
    {
        JobSpec spec = Spec ?? throw new JobNotFoundException(jobId);
        return new JobStatus(jobId, Phase, spec, StepsDone, Evaluations, RefineEvaluations, SkippedEvaluations,
            CertainFractions.ToArray(), Error, OutputPath, LatentSha256, Resumes, Retries, Shards.ToArray(),
            SubmittedAt, StartedAt, FinishedAt, AdmissionOrder, host,
            live is not null && Phase == JobPhase.Running ? WindowTally.Live(Windows, live.PendingWindows) : Windows.ToArray(),
            IdempotencyKey, ModelSha256, ResultBytes, WireMessages, WireBytesSent, WireBytesReceived, ResultSha256, expiresAt);
    }

    /// <summary>
    /// Folds in what one step of <paramref name="recipe"/>'s run did: its evaluations (from its own reports), the
    /// per-window cost (<paramref name="windowCalls"/>: the shards' counts for it) and the traffic and shards
    /// <paramref name="counters"/> saw. Steps done and certain fractions are the caller's: they follow checkpoints.
    /// </summary>
    public void Add(JobStep step, JobRecipe recipe, IReadOnlyDictionary<int, (int Calls, long Evaluations)> windowCalls, JobCounters counters)
    {
        Evaluations += step.Evaluations;
        RefineEvaluations += step.RefineEvaluations;
        SkippedEvaluations += step.SkippedEvaluations;
        if (step.IsWholeRun)
        {
            WindowTally.AddRun(Windows, windowCalls, step.Reports);
        }
        else
        {
            WindowTally.AddStep(Windows, windowCalls, step.Reports[0].Predictions, recipe.PassesPerPrediction);
        }
        Retries = Math.Max(Retries, counters.Retries);
        var (messages, sent, received) = counters.TakeTraffic();
        WireMessages += messages;
        WireBytesSent += sent;
        WireBytesReceived += received;
        foreach (string shard in counters.Shards.Keys.Where(s => !Shards.Contains(s)))
        {
            Shards.Add(shard);
        }
    }
}
