namespace Loom.Contracts.Jobs;

/// <summary>A job as its owner sees it.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Phase">Where it is.</param>
/// <param name="Spec">What was asked.</param>
/// <param name="StepsDone">Outer steps finished (and checkpointed).</param>
/// <param name="Evaluations">Window forward passes spent (CFG counts two).</param>
/// <param name="RefineEvaluations">Of those, spent by refinement iterations.</param>
/// <param name="SkippedEvaluations">Forward passes saved by skipping certain windows.</param>
/// <param name="CertainFractions">Certain share of cells at the end of each step (0 where the step did not refine).</param>
/// <param name="Error">Why it failed or was cancelled.</param>
/// <param name="OutputPath">Where the result was written.</param>
/// <param name="LatentSha256">SHA-256 of the final latent's float32 bytes (bit-identity checks).</param>
/// <param name="Resumes">Times the sampling loop was restarted from a checkpoint.</param>
/// <param name="Retries">Window evaluations that were retried on another shard.</param>
/// <param name="Shards">Shards that evaluated at least one of its windows.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="StartedAt">When it was admitted.</param>
/// <param name="FinishedAt">When it reached a final phase.</param>
/// <param name="AdmissionOrder">Position in the order jobs were admitted (0 before admission).</param>
/// <param name="Host">The silo running the job grain now.</param>
/// <param name="Windows">Per-window cost so far (live within a running step).</param>
/// <param name="IdempotencyKey">The key it was submitted under, if any.</param>
/// <param name="ModelSha256">SHA-256 of the model file it was accepted for.</param>
/// <param name="ResultBytes">Size of the result file (0 until completed).</param>
/// <param name="Messages">Window evaluation calls made to shards, retries included (counted at each step's end).</param>
/// <param name="BytesSent">Payload bytes sent to shards: latents, and conditioning where a shard lacked it.</param>
/// <param name="BytesReceived">Payload bytes received from shards: velocities.</param>
/// <param name="ResultSha256">SHA-256 of the result file as the job wrote it (null before completion, and for jobs completed before it was recorded).</param>
/// <param name="ExpiresAt">When the retention sweep deletes the finished job with its result (<c>Loom:Results:Retention</c>); null while it runs, or when results are kept for ever.</param>
[GenerateSerializer, Alias("loom.job-status")]
public sealed record JobStatus(
    string JobId,
    JobPhase Phase,
    JobSpec Spec,
    int StepsDone,
    int Evaluations,
    int RefineEvaluations,
    int SkippedEvaluations,
    IReadOnlyList<double> CertainFractions,
    string? Error,
    string? OutputPath,
    string? LatentSha256,
    int Resumes,
    int Retries,
    IReadOnlyList<string> Shards,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long AdmissionOrder,
    string Host,
    IReadOnlyList<WindowProgress>? Windows = null,
    string? IdempotencyKey = null,
    string? ModelSha256 = null,
    long ResultBytes = 0,
    long Messages = 0,
    long BytesSent = 0,
    long BytesReceived = 0,
    string? ResultSha256 = null,
    DateTimeOffset? ExpiresAt = null)
{
    /// <summary>True for Completed, Failed and Cancelled.</summary>
    public bool IsFinal => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
}
