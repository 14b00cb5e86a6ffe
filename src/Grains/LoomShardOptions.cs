namespace Loom.Grains;

/// <summary>
/// Which shards a silo runs and how they work and report (configuration section <c>Loom</c>, validated at start by
/// <see cref="Configuration.LoomShardOptionsValidator"/>; every value has a working default).
/// </summary>
public sealed class LoomShardOptions
{
    /// <summary>
    /// Which devices the silo's shards run on: <c>auto</c> (default) one shard per CUDA device the process sees, or
    /// <see cref="Shards"/> CPU shards when it sees none; <c>cuda</c> the same, but a silo that sees no CUDA device fails
    /// at start instead of falling back; <c>cpu</c> <see cref="Shards"/> CPU shards even where GPUs are visible.
    /// </summary>
    public string Devices { get; set; } = "auto";

    /// <summary>CPU shards on a silo that runs on the CPU (see <see cref="Devices"/>); GPU silos run one shard per GPU.</summary>
    public int Shards { get; set; } = 2;

    /// <summary>
    /// Load every model of the catalog on every shard at start, so the first jobs spread over the pool at once instead
    /// of queueing on the few shards that have a model loaded (placement weighs a load against a queue).
    /// </summary>
    public bool PreloadModels { get; set; }

    /// <summary>
    /// Benchmarks only (zero in production): the shards are simulated. Each forward pass is replaced by a wait of this
    /// long per request and answers with the request's own latent as the velocity; grains, messages, routing, fusion and
    /// checkpoints stay real. Lets one machine measure coordination at a scale it has no devices for.
    /// </summary>
    public TimeSpan SimulatedForward { get; set; }

    /// <summary>Bytes of model weights each shard may hold (0: a GPU's memory; unbounded on the CPU); Wan2.2's experts count one by one.</summary>
    public long ShardModelBytes { get; set; }

    /// <summary>A shard frees its least recently used model or expert when another does not fit (off: it refuses, and the window goes elsewhere).</summary>
    public bool EvictModels { get; set; } = true;

    /// <summary>Most requests one forward pass takes (non-exact jobs only).</summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>
    /// Torch intra-op threads each shard's device thread uses (0: libtorch's default, every core). Set it to the cores
    /// the silo may use divided by its shards, so CPU shards do not oversubscribe the container's CPU limit.
    /// </summary>
    public int ThreadsPerShard { get; set; }

    /// <summary>Conditioning entries each shard caches by content hash.</summary>
    public int ConditioningCacheEntries { get; set; } = 256;

    /// <summary>How often a silo reports its shards and checks that admitted jobs are running.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A shard not reported for this long is left out of placement.</summary>
    public TimeSpan ShardStaleAfter { get; set; } = TimeSpan.FromSeconds(5);
}
