using System.Globalization;
using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Models.Physics;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// Cross-job batching on one shard: many small jobs submitted at once to a silo process with a single shard, exact
/// (every window evaluated alone) against non-exact (windows of several jobs share a forward pass, up to MaxBatch).
/// </summary>
public static class BatchingBenchmark
{
    /// <summary>Runs it: <c>--jobs --frames --steps --plan --threads --batches 1,4,8,16 --repeats --checkpoint-every --models</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        string models = Path.GetFullPath(args.Text("models", "models"));
        int jobs = args.Int("jobs", 32);
        int threads = args.Int("threads", 2);
        int repeats = args.Int("repeats", 2);
        int[] batches = args.Ints("batches", "1,4,8,16");
        int frames = args.Int("frames", 16);
        var template = new JobSpec(
            Frames: frames, Steps: args.Int("steps", 10), Plan: args.Text("plan", "1-3:2"), Tau: 0.1, WindowLength: 16, WindowOverlap: 4,
            CheckpointEvery: args.Int("checkpoint-every", 1));
        string weights = Path.Combine(models, "physics-world-model.safetensors");
        if (!File.Exists(weights))
        {
            throw new ArgumentException($"--models: {weights} does not exist.");
        }
        var simulator = new PhysicsSimulator(template.Height, template.Width);
        // Distinct seeds and distinct given frames: no two jobs share a latent or a conditioning entry.
        JobSpec[] specs = Enumerable.Range(0, jobs)
            .Select(i => template with { Seed = 100 + i, Conditioning = new GivenFrames(2, simulator.Generate(PhysicsDataset.TestSeed(i), 2).ToRgb(2)) })
            .ToArray();

        var table = new BenchTable("batching", new Dictionary<string, object>
        {
            ["job"] = $"{template.Frames} frames, windows {template.WindowLength}/{template.WindowOverlap} ({JobSpecValidator.Windows(template).Windows.Count}), {template.Steps} steps, plan {template.Plan}, tau {template.Tau}, 2 given frames",
            ["checkpoint every"] = $"{template.CheckpointEvery} steps",
            ["repeats"] = $"{repeats} (the round with the best wall time shown)",
            ["silo"] = $"1 process, 1 shard, {threads} torch threads, MaxRunningJobs {Math.Max(64, jobs)}, a fresh silo per row",
        }, ["exact", "jobs", "max batch", "wall s", "jobs/s", "evals/s", "mean batch", "shard busy", "ms/window", "p50 latency s", "p95 latency s", "speedup", "same bits as exact", "max |diff| vs exact"]);

        Row exact = await RunRowAsync(models, threads, maxBatch: 8, repeats, specs.Select(s => s with { Exact = true }).ToArray());
        table.Add("yes", jobs, "1 (alone)", exact.Seconds, jobs / exact.Seconds, exact.Evaluations / exact.Seconds, exact.MeanBatch, exact.Busy, exact.WindowMilliseconds,
            exact.Percentile(0.50), exact.Percentile(0.95), 1.0, "reference", "reference");
        foreach (int maxBatch in batches)
        {
            Row row = await RunRowAsync(models, threads, maxBatch, repeats, specs.Select(s => s with { Exact = false }).ToArray());
            (int same, double diff) = Compare(exact, row);
            table.Add("no", jobs, maxBatch, row.Seconds, jobs / row.Seconds, row.Evaluations / row.Seconds, row.MeanBatch, row.Busy, row.WindowMilliseconds,
                row.Percentile(0.50), row.Percentile(0.95), exact.Seconds / row.Seconds, $"{same}/{jobs}", diff.ToString("E1", CultureInfo.InvariantCulture));
        }
        table.Notes.AddRange(
        [
            "Each row: a fresh silo process with one shard; one warm-up job (model load, JIT), then all jobs submitted at once, timed until the\nlast completes; repeated on the same silo, the round with the best wall time shown (its latencies, batches and latents).",
            "wall s: first job accepted to last job finished (silo clock); jobs/s and evals/s (window forward passes asked for by the jobs) over that span.",
            "mean batch: requests the shard evaluated / forward passes it ran during the timed jobs (ShardInfo Completed / Forwards).",
            "shard busy: share of wall s the shard spent in forward passes (ShardInfo BusySeconds); the rest of the time it waited for requests.",
            "ms/window: the shard's forward-pass time per window request (BusySeconds / Completed): what a batch saves per window.",
            "Reading it: when mean batch is near max batch and the shard is busy nearly all the time, the forward pass is the bottleneck,",
            "and batching wins what ms/window falls by (a compute-bound CPU gains less from larger matrix multiplies than a GPU).",
            "p50/p95 latency: per job, accepted to finished. speedup: exact wall s / this row's wall s.",
            "Only jobs with exact=false are batched (requests of one model and window shape share a pass, up to MaxBatch); exact jobs,",
            "the default, are always evaluated alone, because a batched pass rounds differently. same bits / max |diff|: each job's final",
            "latent against the same job (seed, given frames) of the exact row; latents are in [-1, 1] pixel space.",
        ]);
        return table;
    }

    private static async Task<Row> RunRowAsync(string models, int threads, int maxBatch, int repeats, JobSpec[] specs)
    {
        var settings = new Dictionary<string, string>
        {
            ["ThreadsPerShard"] = threads.ToString(CultureInfo.InvariantCulture),
            ["MaxBatch"] = maxBatch.ToString(CultureInfo.InvariantCulture),
            ["MaxRunningJobs"] = Math.Max(64, specs.Length).ToString(CultureInfo.InvariantCulture),
        };
        await using BenchCluster cluster = await BenchCluster.StartAsync(models, silos: 1, shardsPerSilo: 1, settings);
        var grains = cluster.Grains;
        ShardInfo[] shards = await grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync();
        IShardGrain shard = grains.GetGrain<IShardGrain>(shards[0].ShardId);

        await RunJobsAsync(cluster, [specs[0] with { Seed = 1, Conditioning = specs[^1].Conditioning }], "warm-up");
        Row? best = null;
        for (int round = 0; round < repeats; round++)
        {
            ShardInfo before = await shard.GetInfoAsync();
            JobStatus[] done = await RunJobsAsync(cluster, specs, "job");
            ShardInfo after = await shard.GetInfoAsync();
            double seconds = BenchCluster.Span(done);
            if (best is not null && best.Seconds <= seconds)
            {
                continue;
            }
            double[] latencies = done.Select(s => (s.FinishedAt!.Value - s.SubmittedAt).TotalSeconds).Order().ToArray();
            long forwards = after.Forwards - before.Forwards;
            double meanBatch = forwards == 0 ? double.NaN : (after.Completed - before.Completed) / (double)forwards;
            double busySeconds = after.BusySeconds - before.BusySeconds;
            best = new Row(seconds, done.Sum(s => s.Evaluations), meanBatch, busySeconds / seconds, 1000 * busySeconds / (after.Completed - before.Completed), latencies, done.Select(s => (s.LatentSha256!, Latent(s.OutputPath!))).ToArray());
        }
        return best!;
    }

    /// <summary>Submits every spec at once and waits until all are final; the statuses in spec order.</summary>
    private static Task<JobStatus[]> RunJobsAsync(BenchCluster cluster, JobSpec[] specs, string prefix)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        return cluster.RunAsync(specs.Select((spec, i) => ($"{prefix}-{run}-{i}", spec)).ToArray());
    }

    /// <summary>The final latent of a result file, as float32 values.</summary>
    private static float[] Latent(string path)
    {
        var (tensors, _) = SafeTensors.Load(path);
        try
        {
            return tensors["latent"].data<float>().ToArray(); // written as float32 by JobResultFile
        }
        finally
        {
            foreach (Tensor t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>How many jobs of <paramref name="row"/> have the exact row's bits, and the largest difference of any value.</summary>
    private static (int Same, double MaxDiff) Compare(Row exact, Row row)
    {
        int same = 0;
        double diff = 0;
        for (int i = 0; i < exact.Results.Length; i++)
        {
            same += exact.Results[i].Hash == row.Results[i].Hash ? 1 : 0;
            float[] a = exact.Results[i].Latent, b = row.Results[i].Latent;
            for (int j = 0; j < a.Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(a[j] - b[j]));
            }
        }
        return (same, diff);
    }

    private sealed record Row(double Seconds, int Evaluations, double MeanBatch, double Busy, double WindowMilliseconds, double[] Latencies, (string Hash, float[] Latent)[] Results)
    {
        /// <summary>Nearest-rank percentile of the sorted latencies.</summary>
        public double Percentile(double p) => Latencies[Math.Clamp((int)Math.Ceiling(p * Latencies.Length) - 1, 0, Latencies.Length - 1)];
    }
}
