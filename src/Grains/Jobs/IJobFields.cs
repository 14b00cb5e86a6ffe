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

    /// <summary>
    /// How a co-denoising job's windows are opened where they stay for the run (resident windows), or null when the job
    /// holds its latent (the default).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="epoch">The job loop's epoch (its windows are named by it).</param>
    /// <param name="recipe">The job.</param>
    /// <param name="counters">The shards' counts for the run.</param>
    /// <param name="wan">A Wan job's encoded inputs, or null.</param>
    JobRun.OpenResident? Resident(string jobId, long epoch, JobRecipe recipe, JobCounters counters, WanJobStages? wan) => null;
}
