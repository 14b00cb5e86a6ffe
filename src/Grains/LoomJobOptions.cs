using Loom.Grains.Jobs;

namespace Loom.Grains;

/// <summary>
/// How a silo admits and finishes jobs (configuration section <c>Loom</c>, validated at start by
/// <see cref="Configuration.LoomJobOptionsValidator"/>; every value has a working default).
/// </summary>
public sealed class LoomJobOptions
{
    /// <summary>Where results go when a job names no output path.</summary>
    public string OutputDirectory { get; set; } = Path.Combine("out", "jobs");

    /// <summary>Jobs sampling at once; the rest wait in the queue by priority.</summary>
    public int MaxRunningJobs { get; set; } = 16;

    /// <summary>
    /// Co-denoising jobs of two windows or more keep each window's latent and refinement state on the shard that evaluates
    /// it for the whole job (resident windows): a round is then a small message per window, the velocities over shared
    /// frames go shard to shard, and the job's silo does no whole-latent arithmetic; the latent comes back for checkpoints
    /// and the result. Same bits as when the job holds the latent and sends each window's slice every round
    /// (docs/coordination-model.md), which one-window jobs, models served by expert (Wan2.2 A14B) and <c>false</c> here
    /// keep. A window's shard lost mid-job costs the steps since the last checkpoint; a draining one costs none (the
    /// windows move between steps).
    /// </summary>
    public bool ResidentWindows { get; set; } = true;

    /// <summary>Bounds on submitted specs (<c>Loom:Limits:*</c>).</summary>
    public JobLimits Limits { get; set; } = new();
}
