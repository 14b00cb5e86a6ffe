namespace Loom.Contracts.Jobs;

/// <summary>No job with this id was ever accepted.</summary>
[GenerateSerializer, Alias("loom.job-not-found")]
public sealed class JobNotFoundException(string jobId) : Exception($"job '{jobId}' does not exist.")
{
    /// <summary>The id asked for.</summary>
    [Id(0)]
    public string JobId { get; } = jobId;
}
