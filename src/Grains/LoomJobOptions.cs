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

    /// <summary>Bounds on submitted specs (<c>Loom:Limits:*</c>).</summary>
    public JobLimits Limits { get; set; } = new();
}
