namespace Loom.Contracts.Jobs;

/// <summary>A job as the job index lists it. Persisted: never reorder these members.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Model">Its model.</param>
/// <param name="Phase">Its phase as last reported by the job.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="IdempotencyKey">The key it was submitted under, if any.</param>
/// <param name="Sequence">Order of first acceptance (assigned by the index; newest is highest).</param>
/// <param name="Owner">The job's <see cref="JobSpec.Owner"/>.</param>
/// <param name="FinishedAt">When it reached a final phase (retention counts from there); null before.</param>
[GenerateSerializer, Alias("loom.job-index-entry"), Immutable]
public sealed record JobIndexEntry(string JobId, string Model, JobPhase Phase, DateTimeOffset SubmittedAt, string? IdempotencyKey, long Sequence = 0, string Owner = "", DateTimeOffset? FinishedAt = null);
