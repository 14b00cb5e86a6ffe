namespace Loom.Contracts.Jobs;

/// <summary>One page of a <see cref="JobQuery"/>.</summary>
/// <param name="Jobs">The jobs on the page, newest first.</param>
/// <param name="Next">Sequence to pass as <see cref="JobQuery.Before"/> for the next page; null on the last page.</param>
/// <param name="Total">Jobs matching the filter, all pages together.</param>
[GenerateSerializer, Alias("loom.job-page"), Immutable]
public sealed record JobPage(IReadOnlyList<JobIndexEntry> Jobs, long? Next, int Total);
