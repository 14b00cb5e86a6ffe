using System.Diagnostics;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Polly.CircuitBreaker;
using Prometheus;

namespace Loom.Grains;

/// <summary>
/// Every <c>loom_*</c> Prometheus metric of a silo (served on <c>/metrics</c>; the Grafana dashboard and the autoscaler
/// read them by these names). Counters and histograms are updated where the work happens; gauges are sampled from
/// this silo's jobs, shards and router just before each scrape.
/// <para>
/// Declared with prometheus-net rather than System.Diagnostics.Metrics because the names, types and zero-valued series
/// are a contract: prometheus-net's MeterAdapter would prefix the meter name, export a .NET counter as a gauge, drop a
/// series that saw no measurement for a while (a counter would restart from 0), and publish a labelled series only
/// after its first measurement. Orleans' and Polly's own meters are exported through the MeterAdapter as they are.
/// </para>
/// One silo per process: a second silo in the same process shares these series.
/// </summary>
public sealed class LoomMetrics : IDisposable
{
    private static readonly string[] JobStates = ["queued", "running", "completed", "failed", "cancelled"];
    private static readonly string[] NfeKinds = ["base", "refine", "skipped"];
    private static readonly string[] WanStages = [WanText, WanImage, WanDecode];
    private static readonly string[] CorruptKinds = [CorruptCheckpoint, CorruptResult, CorruptJobState, CorruptIndexEntry];

    /// <summary><c>loom_wan_stage_seconds{stage}</c> of encoding a Wan job's prompt and negative prompt (or finding them cached).</summary>
    public const string WanText = "text";

    /// <summary><c>loom_wan_stage_seconds{stage}</c> of encoding an image-to-video job's image into its condition.</summary>
    public const string WanImage = "image";

    /// <summary><c>loom_wan_stage_seconds{stage}</c> of decoding a Wan job's final latent into frames.</summary>
    public const string WanDecode = "decode";

    /// <summary><c>loom_corrupt_data_total{kind}</c> of a checkpoint that failed its checks (the job restarted from step 0).</summary>
    public const string CorruptCheckpoint = "checkpoint";

    /// <summary><c>loom_corrupt_data_total{kind}</c> of a stored result that did not match its SHA-256 (not served).</summary>
    public const string CorruptResult = "result";

    /// <summary><c>loom_corrupt_data_total{kind}</c> of a job's state that could not be read (left out of lists).</summary>
    public const string CorruptJobState = "job_state";

    /// <summary><c>loom_corrupt_data_total{kind}</c> of a job index entry that could not be read (skipped when the index loads).</summary>
    public const string CorruptIndexEntry = "index_entry";
    private readonly object _sampling = new();
    private readonly Dictionary<string, (long At, double Occupied, double Ratio)> _busy = new(StringComparer.Ordinal);
    private readonly HashSet<string> _shardLabels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _breakerLabels = new(StringComparer.Ordinal);
    private (ShardHost Shards, ShardRouter Router, LocalJobs Jobs)? _sources;
    private volatile bool _disposed;
    private readonly Counter.Child[] _phases = new Counter.Child[Enum.GetValues<StepPhase>().Length];

    /// <summary>Creates the metrics in <paramref name="registry"/> (<see cref="Metrics.DefaultRegistry"/> in a silo).</summary>
    public LoomMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        IMetricFactory metrics = Metrics.WithCustomRegistry(registry);
        Jobs = metrics.CreateGauge("loom_jobs",
            "Jobs this silo knows of, by state: queued and running are job grains active here now; completed, failed and cancelled are jobs that reached that state here since the silo started.",
            ["state"]);
        QueueWaiting = metrics.CreateGauge("loom_queue_waiting", "Jobs waiting for admission in the cluster's queue (every silo reports the same queue: read it with max()).");
        ShardQueueDepth = metrics.CreateGauge("loom_shard_queue_depth", "Window evaluations waiting or running on each shard of this silo.", ["shard"]);
        ShardBusyRatio = metrics.CreateGauge("loom_shard_busy_ratio", "Share of time each shard of this silo spent evaluating since the previous scrape (0 to 1).", ["shard"]);
        ShardBreakerOpen = metrics.CreateGauge("loom_shard_breaker_open", "1 where this silo's circuit breaker for a live shard is open (the router skips it), else 0.", ["shard"]);
        CheckpointAge = metrics.CreateGauge("loom_checkpoint_age_seconds",
            "Seconds since the oldest job loop running on this silo last checkpointed (or started, if it has not yet); 0 when none runs.");
        Nfe = metrics.CreateCounter("loom_nfe_total",
            "Model forward passes of jobs run on this silo: base (the first prediction of each step), refine (refinement iterations), skipped (saved because a window was already certain).",
            ["kind"]);
        EvalRetries = metrics.CreateCounter("loom_eval_retries_total", "Window evaluations this silo's router retried on another shard.");
        ResidentRounds = metrics.CreateCounter("loom_resident_rounds_total",
            "Rounds of resident windows run on this silo's shards, by how they began: ahead (started as the round before ended, before the job asked: the job's round trip was off the critical path) or asked (the round depended on every window's report).",
            ["began"]);
        WireBytes = metrics.CreateCounter("loom_wire_bytes_total",
            "Payload bytes of window evaluations this silo's jobs sent to shards (latents, conditioning; a resident window's slice when it opens) and received (velocities; resident windows' latents gathered for a checkpoint or the result).", ["direction"]);
        CorruptData = metrics.CreateCounter("loom_corrupt_data_total",
            "Stored data found corrupt on this silo, by kind: checkpoint (the job restarted from step 0), result (not served: DATA_LOSS), job_state (the job left out of lists).",
            ["kind"]);
        StorageFull = metrics.CreateGauge("loom_storage_full",
            "1 while this silo's last write to its data directory failed for want of space (submits answer RESOURCE_EXHAUSTED), else 0.");
        StateStoreRefusingWrites = metrics.CreateGauge("loom_state_store_refusing_writes",
            "1 while the cluster's state store (Redis) answers this silo's probe write with an error (maxmemory reached under noeviction, out of memory, read-only), else 0; readiness is NOT_SERVING meanwhile.");
        StateStoreMemoryRatio = metrics.CreateGauge("loom_state_store_memory_ratio",
            "Redis used_memory over its maxmemory as this silo last read it (0 to 1; 0 when Redis has no maxmemory): alert well below 1, where a noeviction Redis starts refusing writes.");
        WatchStreams = metrics.CreateGauge("loom_watch_streams",
            "WatchJob streams open on this silo now (a batch polls GetJobs instead and holds none).");
        StepPhases = metrics.CreateCounter("loom_step_phase_seconds_total",
            "Seconds the jobs on this silo spent per phase of their steps: step, rounds (first window sent to last answer), and per window call encode, route, call, shard_queue, shard_forward, decode; per checkpoint checkpoint_write, state_write.",
            ["phase"]);
        foreach (StepPhase phase in Enum.GetValues<StepPhase>())
        {
            _phases[(int)phase] = StepPhases.WithLabels(PhaseLabel(phase));
        }
        WireBytes.WithLabels("sent"); // both series exist from the start, at 0, so rates work from the first scrape
        WireBytes.WithLabels("received");
        ResidentRounds.WithLabels("ahead");
        ResidentRounds.WithLabels("asked");
        QueueWait = metrics.CreateHistogram("loom_queue_wait_seconds", "Seconds from submission to admission, per job admitted on this silo.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 17) });
        JobDuration = metrics.CreateHistogram("loom_job_duration_seconds", "Seconds from admission to completion, per job completed on this silo.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.5, 2, 16) });
        StepDuration = metrics.CreateHistogram("loom_step_duration_seconds", "Seconds per outer sampling step of the jobs running on this silo.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });
        WindowEval = metrics.CreateHistogram("loom_window_eval_seconds", "Seconds per forward pass on each shard of this silo (model loading excluded).",
            new HistogramConfiguration { LabelNames = ["shard"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 18) });
        CertainFraction = metrics.CreateHistogram("loom_certain_fraction", "Share of certain latent cells at the end of each refined step.",
            new HistogramConfiguration { Buckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0] });
        BatchSize = metrics.CreateHistogram("loom_batch_size", "Window requests per forward pass on the shards of this silo.",
            new HistogramConfiguration { Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64] });
        WanStage = metrics.CreateHistogram("loom_wan_stage_seconds",
            "Seconds per Wan job stage run on this silo, around the sampling its shards do: text (both prompts encoded or found cached), image (an I2V image encoded), decode (the VAE).",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 20) });

        foreach (string state in JobStates)
        {
            Jobs.WithLabels(state).Set(0);
        }
        foreach (string kind in NfeKinds)
        {
            Nfe.WithLabels(kind);
        }
        foreach (string stage in WanStages)
        {
            WanStage.WithLabels(stage);
        }
        foreach (string kind in CorruptKinds)
        {
            CorruptData.WithLabels(kind);
        }
        registry.AddBeforeCollectCallback(Sample);
    }

    /// <summary><c>loom_corrupt_data_total{kind}</c>.</summary>
    public Counter CorruptData { get; }

    /// <summary><c>loom_step_phase_seconds_total{phase}</c>.</summary>
    public Counter StepPhases { get; }

    /// <summary>Adds the time since <paramref name="started"/> (a <see cref="Stopwatch.GetTimestamp"/>) to <paramref name="phase"/>.</summary>
    public void Phase(StepPhase phase, long started) => _phases[(int)phase].Inc(Stopwatch.GetElapsedTime(started).TotalSeconds);

    /// <summary>Adds <paramref name="seconds"/> to <paramref name="phase"/>.</summary>
    public void Phase(StepPhase phase, double seconds) => _phases[(int)phase].Inc(Math.Max(0, seconds));

    /// <summary>The label of <paramref name="phase"/>: its name in snake case.</summary>
    public static string PhaseLabel(StepPhase phase)
        => string.Concat(phase.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary><c>loom_storage_full</c>.</summary>
    public Gauge StorageFull { get; }

    /// <summary><c>loom_state_store_refusing_writes</c>.</summary>
    public Gauge StateStoreRefusingWrites { get; }

    /// <summary><c>loom_state_store_memory_ratio</c>.</summary>
    public Gauge StateStoreMemoryRatio { get; }

    /// <summary><c>loom_jobs{state}</c>.</summary>
    public Gauge Jobs { get; }

    /// <summary><c>loom_queue_waiting</c>.</summary>
    public Gauge QueueWaiting { get; }

    /// <summary><c>loom_shard_queue_depth{shard}</c>.</summary>
    public Gauge ShardQueueDepth { get; }

    /// <summary><c>loom_shard_busy_ratio{shard}</c>.</summary>
    public Gauge ShardBusyRatio { get; }

    /// <summary><c>loom_shard_breaker_open{shard}</c>.</summary>
    public Gauge ShardBreakerOpen { get; }

    /// <summary><c>loom_checkpoint_age_seconds</c>.</summary>
    public Gauge CheckpointAge { get; }

    /// <summary><c>loom_nfe_total{kind}</c>.</summary>
    public Counter Nfe { get; }

    /// <summary><c>loom_eval_retries_total</c>.</summary>
    public Counter EvalRetries { get; }

    /// <summary><c>loom_resident_rounds_total{began="ahead|asked"}</c>.</summary>
    public Counter ResidentRounds { get; }

    /// <summary><c>loom_wire_bytes_total{direction="sent|received"}</c>.</summary>
    public Counter WireBytes { get; }

    /// <summary><c>loom_queue_wait_seconds</c>.</summary>
    public Histogram QueueWait { get; }

    /// <summary><c>loom_job_duration_seconds</c>.</summary>
    public Histogram JobDuration { get; }

    /// <summary><c>loom_step_duration_seconds</c>.</summary>
    public Histogram StepDuration { get; }

    /// <summary><c>loom_window_eval_seconds{shard}</c>.</summary>
    public Histogram WindowEval { get; }

    /// <summary><c>loom_certain_fraction</c>.</summary>
    public Histogram CertainFraction { get; }

    /// <summary><c>loom_batch_size</c>.</summary>
    public Histogram BatchSize { get; }

    /// <summary><c>loom_wan_stage_seconds{stage="text|image|decode"}</c>.</summary>
    public Histogram WanStage { get; }

    /// <summary><c>loom_watch_streams</c>.</summary>
    public Gauge WatchStreams { get; }

    /// <summary>Counts the forward passes of one step (or of a whole run that has no steps of its own).</summary>
    public void CountEvaluations(long baseEvaluations, long refineEvaluations, long skippedEvaluations)
    {
        Nfe.WithLabels("base").Inc(Math.Max(0, baseEvaluations));
        Nfe.WithLabels("refine").Inc(Math.Max(0, refineEvaluations));
        Nfe.WithLabels("skipped").Inc(Math.Max(0, skippedEvaluations));
    }

    /// <summary>The silo's parts the gauges are sampled from before each scrape.</summary>
    public void Track(ShardHost shards, ShardRouter router, LocalJobs jobs) => _sources = (shards, router, jobs);

    private void Sample()
    {
        if (_disposed || _sources is not var (shards, router, jobs))
        {
            return;
        }
        lock (_sampling)
        {
            foreach (string state in JobStates)
            {
                Jobs.WithLabels(state).Set(jobs.Count(state));
            }
            CheckpointAge.Set(jobs.OldestCheckpointAge().TotalSeconds);

            long now = Stopwatch.GetTimestamp();
            var shardIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (ShardWorker worker in shards.Workers)
            {
                shardIds.Add(worker.ShardId);
                ShardQueueDepth.WithLabels(worker.ShardId).Set(worker.QueueDepth);
                ShardBusyRatio.WithLabels(worker.ShardId).Set(BusyRatio(worker.ShardId, worker.OccupiedSeconds, now));
            }
            Forget(_shardLabels, shardIds, ShardQueueDepth, ShardBusyRatio);

            // Only shards the directory lists now: a breaker of a shard that left is no longer a series.
            var breakers = router.BreakerStates;
            var live = router.KnownShards.ToHashSet(StringComparer.Ordinal);
            foreach (string shard in live)
            {
                bool open = breakers.TryGetValue(shard, out CircuitState state) && state is CircuitState.Open or CircuitState.Isolated;
                ShardBreakerOpen.WithLabels(shard).Set(open ? 1 : 0);
            }
            Forget(_breakerLabels, live, ShardBreakerOpen);
        }
    }

    /// <summary>
    /// Busy share since the previous sample at least a second ago (so that two scrapers close together do not measure
    /// a few milliseconds), from the device's occupied seconds, which include a pass still running.
    /// </summary>
    private double BusyRatio(string shard, double occupied, long now)
    {
        if (!_busy.TryGetValue(shard, out var last))
        {
            _busy[shard] = (now, occupied, 0);
            return 0;
        }
        double wall = Stopwatch.GetElapsedTime(last.At, now).TotalSeconds;
        if (wall < 1)
        {
            return last.Ratio;
        }
        double ratio = Math.Clamp((occupied - last.Occupied) / wall, 0, 1);
        _busy[shard] = (now, occupied, ratio);
        return ratio;
    }

    private static void Forget(HashSet<string> labels, HashSet<string> current, params Gauge[] gauges)
    {
        foreach (string gone in labels.Where(l => !current.Contains(l)).ToList())
        {
            foreach (Gauge gauge in gauges)
            {
                gauge.RemoveLabelled(gone);
            }
            labels.Remove(gone);
        }
        labels.UnionWith(current);
    }

    /// <inheritdoc />
    public void Dispose() => _disposed = true;
}
