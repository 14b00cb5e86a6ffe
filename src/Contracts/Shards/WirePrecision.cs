namespace Loom.Contracts.Shards;

/// <summary>
/// How latents and velocities travel between a job and its shards. The sampler's own state (latent, x0, mask) stays
/// float32 in the job either way; only the messages change.
/// </summary>
public enum WirePrecision
{
    /// <summary>float32 both ways: the shard sees exactly the job's latent (4 bytes a value).</summary>
    Float32 = 0,

    /// <summary>
    /// IEEE half both ways (2 bytes a value): the latent is rounded to nearest-even before the model and the velocity
    /// after it. Still a pure function of the job, so a job gives the same bits wherever its windows run; a message
    /// holding a value beyond half's range (65504) travels as float32 instead.
    /// </summary>
    Float16 = 1,
}
