using Loom.Grains.Jobs;

namespace Loom.Grains;

/// <summary>How a silo does its work (configuration section <c>Loom</c>; every value has a working default).</summary>
public sealed class LoomOptions
{
    /// <summary>Folder of model weights (<c>*.safetensors</c>); the bundled physics model lives in <c>models/</c>.</summary>
    public string ModelDirectory { get; set; } = "models";

    /// <summary>Where results go when a job names no output path.</summary>
    public string OutputDirectory { get; set; } = Path.Combine("out", "jobs");

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

    /// <summary>
    /// Longest one window evaluation may take before it is retried elsewhere: the timeout of a shard not measured yet
    /// (one loading its model), and the ceiling of the timeout derived from a shard's measured latency (see
    /// <see cref="EvaluationTimeoutMultiple"/>). With the multiple 0, the one fixed timeout.
    /// </summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A measured shard's evaluation timeout is this many times the 99th percentile of its last call times (at least
    /// <see cref="EvaluationTimeoutFloor"/>, at most <see cref="EvaluationTimeout"/>), so a hung shard is abandoned in
    /// seconds, not minutes. 0: always <see cref="EvaluationTimeout"/>.
    /// </summary>
    public double EvaluationTimeoutMultiple { get; set; } = 10;

    /// <summary>Shortest evaluation timeout derived from measured latency.</summary>
    public TimeSpan EvaluationTimeoutFloor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Attempts per window evaluation, on different shards where there are several. With exponential backoff capped at
    /// 4 s, the default 8 spans about 20 s: long enough for membership to declare a dead silo and its shards gone.
    /// </summary>
    public int EvaluationAttempts { get; set; } = 8;

    /// <summary>Jobs sampling at once; the rest wait in the queue by priority.</summary>
    public int MaxRunningJobs { get; set; } = 16;

    /// <summary>How often a silo reports its shards and checks that admitted jobs are running.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A shard not reported for this long is left out of placement.</summary>
    public TimeSpan ShardStaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bounds on submitted specs.</summary>
    public JobLimits Limits { get; set; } = new();

    /// <summary>Models named in configuration (<c>Loom:Models:NAME</c>): folder, compute dtype, where the text encoder runs.</summary>
    public Dictionary<string, LoomModelOptions> Models { get; set; } = new(StringComparer.Ordinal);
}
