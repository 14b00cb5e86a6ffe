using Loom.Contracts.Jobs;
using Loom.Grains.Routing;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;

namespace Loom.Grains.Jobs;

/// <summary>Where a job's windows are evaluated: on the shards through the router (<see cref="ShardJobFields"/>), or in process in a test.</summary>
public interface IJobFields
{
    /// <summary>A Wan job's prompts (and image) encoded once before sampling, or null for the other models.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="spec">Its spec.</param>
    /// <param name="cancellationToken">Stops the encoding.</param>
    Task<WanJobStages?> PrepareAsync(string jobId, JobSpec spec, CancellationToken cancellationToken);

    /// <summary>The field of one window.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="spec">Its spec.</param>
    /// <param name="window">The window.</param>
    /// <param name="given">Clean frames given inside it, or null.</param>
    /// <param name="counters">The shards' counts for the run.</param>
    /// <param name="wan">A Wan job's encoded inputs, or null.</param>
    IVelocityField Field(string jobId, JobSpec spec, TemporalWindow window, FrameConditioning? given, JobCounters counters, WanJobStages? wan);
}
