namespace Loom.Contracts.Jobs;

/// <summary>Which jobs to list: newest first, one page.</summary>
/// <param name="Phases">Phases to keep; empty: all.</param>
/// <param name="Model">Model to keep; empty: all.</param>
/// <param name="PageSize">Most jobs on the page.</param>
/// <param name="Owner">Only jobs of this owner; null: every owner's.</param>
/// <param name="Before">Only jobs accepted before this sequence number (the previous page's <see cref="JobPage.Next"/>); null: from the newest.</param>
[GenerateSerializer, Alias("loom.job-query"), Immutable]
public sealed record JobQuery(IReadOnlyList<JobPhase> Phases, string Model, int PageSize, long? Before, string? Owner = null);
