using System.Diagnostics;
using System.Globalization;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Models.Physics;
using Loom.Models.WorldModel;
using Loom.Sampling.Refinement;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// Does a long video get faster with more shards, and what does coordination cost? One long video (many co-denoised
/// windows) and a batch of one-window jobs, on 1 to 64 shards: real shards (the physics model, one process per shard)
/// where this machine has the cores, simulated shards beyond (real silos, grains, messages, routing, fusion and
/// checkpoints; the forward pass replaced by a wait calibrated on the real model).
/// </summary>
public static class ScalingBenchmark
{
    /// <summary>
    /// Runs it: <c>--shards --real (counts or none) --silos --windows --window --overlap --steps --plan --jobs --checkpoint-every --forward-ms --models</c>,
    /// <c>--workloads</c> (long,batch by default), <c>--fp32 no</c> (leaves out the wire fp32 row), <c>--phases yes</c> (adds the per-step phase columns from the silos' <c>/metrics</c>)
    /// and <c>--warm-steps --warm-plan</c> (the untimed warm-up job: 5 steps of the measured plan by default), and
    /// <c>--warm-seconds</c> (warm-up jobs repeat until the silos have run this long, 30 by default: the JIT settles), and
    /// <c>--resident no|yes|both</c> (the silos' <c>ResidentWindows</c>, yes by default as on a silo: windows stay on their shards; <c>both</c> adds the
    /// long video on resident windows beside the job-owned rows, each on its own cluster).
    /// </summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        if (args.Text("workload", "physics") == "wan480")
        {
            return await WanPayloadScaling.RunAsync(args);
        }
        string models = Path.GetFullPath(args.Text("models", "models"));
        string weights = Path.Combine(models, "physics-world-model.safetensors");
        if (!File.Exists(weights))
        {
            throw new ArgumentException($"--models: {weights} does not exist.");
        }
        int[] shardCounts = args.Ints("shards", "1,2,4,8,16,32,64");
        int[] realCounts = args.Text("real", "1,2") == "none" ? [] : args.Ints("real", "1,2");
        int maxSilos = args.Int("silos", 4), windows = args.Int("windows", 16), window = args.Int("window", 16), overlap = args.Int("overlap", 4);
        int steps = args.Int("steps", 12), jobCount = args.Int("jobs", 64), checkpointEvery = args.Int("checkpoint-every", 1);
        string plan = args.Text("plan", "1-4:2");
        string[] workloads = args.Text("workloads", "long,batch").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool phases = args.Text("phases", "no") == "yes";
        string residentMode = args.Text("resident", "yes");
        bool[] residentPasses = args.ResidentPasses("yes");
        int rounds = RefinementPlan.Parse(plan).Nfe(steps, guided: false);
        if (overlap >= window)
        {
            throw new ArgumentException($"--overlap must be less than --window ({window}), got {overlap}.");
        }

        double forward = args.Double("forward-ms", 0) is > 0 and var given ? given / 1000 : Calibrate(weights, window);
        GivenFrames conditioning = new(2, new PhysicsSimulator(32, 32).Generate(PhysicsDataset.TestSeed(0), 2).ToRgb(2));
        // tau 0: every window is evaluated in every round, so the ideal below is exact.
        var longVideo = new JobSpec(Frames: window + (windows - 1) * (window - overlap), Steps: steps, Plan: plan, Tau: 0,
            WindowLength: window, WindowOverlap: overlap, Seed: 1, Conditioning: conditioning, CheckpointEvery: checkpointEvery);
        var small = new JobSpec(Frames: window, Steps: steps, Plan: plan, Tau: 0, WindowLength: window, WindowOverlap: 0, Conditioning: conditioning, CheckpointEvery: checkpointEvery);

        var table = new BenchTable("scaling", new Dictionary<string, object>
        {
            ["long video"] = $"{longVideo.Frames} frames in {windows} windows of {window} (overlap {overlap}), {steps} steps, plan {plan}: {rounds} rounds",
            ["batch"] = $"{jobCount} jobs of {window} frames (1 window each), same steps and plan",
            ["forward"] = $"{forward * 1000:F1} ms per window ({(args.Double("forward-ms", 0) > 0 ? "--forward-ms" : "measured on the physics model, 1 thread")})",
            ["silos"] = $"up to {maxSilos} processes, shards split evenly",
            ["checkpoint every"] = $"{checkpointEvery} steps",
            ["resident windows"] = residentMode,
            ["warm-up"] = $"one untimed job of each workload first, {args.Text("warm-plan", plan)} (--warm-steps, --warm-plan), then one-window jobs on every shard until {args.Double("warm-seconds", 30):F0} s after the silos started (--warm-seconds)",
        }, ["workload", "shards", "kind", "wall s", "speedup", "ideal s", "efficiency", "msgs/step", "KB sent/step", "KB recv/step", "overhead ms/step", "silo cpu ms/step",
            .. phases ? PhaseColumns : []]);

        var rows = new List<(string Workload, string Kind, int Shards, double Wall, double Ideal, JobStatus[] Done, double Cpu, PhaseSeconds? Phases)>();
        async Task Measure(string kind, int shards, double simulatedSeconds, bool resident)
        {
            // With --resident both, the resident pass measures the long video only (the batch's jobs are one window each).
            string[] measured = resident && residentPasses.Length > 1 ? workloads.Where(w => w == "long").ToArray() : workloads;
            if (measured.Length == 0)
            {
                return;
            }
            string label = resident ? ", resident" : "";
            int silos = Math.Min(shards, maxSilos);
            if (shards % silos != 0)
            {
                throw new ArgumentException($"--shards: {shards} shards do not split evenly over {silos} silos.");
            }
            var settings = new Dictionary<string, string>
            {
                ["MaxRunningJobs"] = (jobCount + 1).ToString(CultureInfo.InvariantCulture), ["PreloadModels"] = "true",
                ["SimulatedForward"] = TimeSpan.FromSeconds(simulatedSeconds).ToString("c", CultureInfo.InvariantCulture),
                ["ResidentWindows"] = resident ? "true" : "false",
            };
            await using BenchCluster cluster = await BenchCluster.StartAsync(models, silos, shards / silos, settings);
            // Warm-up, untimed: JIT on every silo, shard grains activated, given frames cached on the shards. The measured
            // plan's own refined steps (--warm-steps 5, --warm-plan the measured plan), so the P&P path is compiled and the
            // runtime has tiered the hot methods up before the clock starts, as on a silo that has run jobs before.
            // Then, until --warm-seconds have passed since the silos started, one-window jobs on every shard again: the runtime
            // keeps compiling for tens of seconds after a silo starts (tier-0 code, then tier-1 once called 30 times: a
            // silo compiled 200-1,300 methods a second through a 30-second run, dotnet-counters), and a measurement taken
            // meanwhile counts that compilation as coordination (batch of 64 on 64 shards: 22 ms of silo CPU per job step
            // 10 s after the start, 11.5 ms 30 s after; bench/results/issue20-session4.txt).
            string warmPlan = args.Text("warm-plan", plan);
            int warmSteps = args.Int("warm-steps", RefinementPlan.Parse(warmPlan).LastStep < 5 ? 5 : steps);
            double warmSeconds = args.Double("warm-seconds", 30);
            for (int round = 0; round == 0 || cluster.Age.TotalSeconds < warmSeconds; round++)
            {
                string warm = Guid.NewGuid().ToString("N")[..8];
                await cluster.RunAsync([
                    .. round == 0 ? [($"warm-long-{warm}", longVideo with { Steps = warmSteps, Plan = warmPlan })] : Array.Empty<(string, JobSpec)>(),
                    .. Enumerable.Range(0, Math.Min(shards, jobCount)).Select(i => ($"warm-{warm}-{i}", small with { Steps = warmSteps, Plan = warmPlan, Seed = i })),
                ]);
            }
            string run = Guid.NewGuid().ToString("N")[..8];
            async Task<(JobStatus[] Done, double Cpu, PhaseSeconds? Phases)> Timed(IReadOnlyList<(string Id, JobSpec Spec)> jobs)
            {
                PhaseSeconds? before = phases ? await cluster.PhasesAsync() : null;
                double cpu = cluster.SiloCpuSeconds;
                JobStatus[] done = await cluster.RunAsync(jobs);
                cpu = cluster.SiloCpuSeconds - cpu;
                return (done, cpu, before is null ? null : (await cluster.PhasesAsync()).Minus(before));
            }

            if (measured.Contains("long"))
            {
                var one = await Timed([($"long-{run}", longVideo)]);
                rows.Add(($"long video{label}", kind, shards, BenchCluster.Span(one.Done), rounds * Math.Ceiling(windows / (double)shards) * forward, one.Done, one.Cpu, one.Phases));
            }
            if (measured.Contains("long") && !resident && kind == "simulated" && shards == shardCounts.Where(s => s >= windows).DefaultIfEmpty(shardCounts.Max()).Min() && args.Text("fp32", "yes") == "yes")
            {
                var full = await Timed([($"long32-{run}", longVideo with { Wire = WirePrecision.Float32 })]);
                rows.Add(("long video, wire fp32", kind, shards, BenchCluster.Span(full.Done), rounds * Math.Ceiling(windows / (double)shards) * forward, full.Done, full.Cpu, full.Phases));
            }
            if (measured.Contains("batch"))
            {
                var batch = await Timed(Enumerable.Range(0, jobCount).Select(i => ($"batch-{run}-{i}", small with { Seed = i })).ToArray());
                Dictionary<string, string> siloOf = (await cluster.Grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync()).ToDictionary(s => s.ShardId, s => s.Silo);
                int remote = batch.Done.Count(d => d.Shards.Any(s => siloOf.GetValueOrDefault(s) != d.Host));
                int shared = batch.Done.SelectMany(d => d.Shards).GroupBy(s => s).Count(g => g.Count() > 1);
                rows.Add(("batch", kind, shards, BenchCluster.Span(batch.Done), rounds * Math.Ceiling(jobCount / (double)shards) * forward, batch.Done, batch.Cpu, batch.Phases));
                DateTimeOffset first = batch.Done.Min(d => d.SubmittedAt);
                double[] started = batch.Done.Select(d => (d.StartedAt!.Value - first).TotalSeconds).Order().ToArray();
                double[] running = batch.Done.Select(d => (d.FinishedAt!.Value - d.StartedAt!.Value).TotalSeconds).Order().ToArray();
                double[] accepted = batch.Done.Select(d => (d.SubmittedAt - first).TotalSeconds).Order().ToArray();
                table.Notes.Add($"batch on {shards} shards: jobs accepted 0-{accepted[^1]:F2} s and admitted {started[0]:F2}-{started[^1]:F2} s after the first submission (median {started[started.Length / 2]:F2}); " +
                    $"admitted to done: median {running[running.Length / 2]:F2} s, longest {running[^1]:F2} s; " +
                    $"jobs per silo {string.Join("/", batch.Done.GroupBy(d => d.Host).Select(g => g.Count()).OrderDescending())}; " +
                    $"the 3 slowest used {string.Join(", ", batch.Done.OrderByDescending(d => d.FinishedAt!.Value - d.StartedAt!.Value).Take(3).Select(d => d.Shards.Count))} shards; " +
                    $"{remote} jobs used a shard on another silo; {shared} shards served more than one job; {batch.Done.Sum(d => d.Retries)} retries.");
            }
        }

        foreach (bool resident in residentPasses)
        {
            foreach (int shards in realCounts)
            {
                await Measure("real", shards, 0, resident);
            }
            foreach (int shards in shardCounts)
            {
                await Measure("simulated", shards, forward, resident);
            }
        }

        foreach (var row in rows)
        {
            // Speedup against the fewest shards of the same rows (the fp32 row against the video's job-owned rows).
            string workload = row.Workload.Contains("fp32", StringComparison.Ordinal) ? row.Workload.Split(',')[0] : row.Workload;
            double baseline = rows.Where(r => r.Workload == workload && r.Kind == row.Kind).MinBy(r => r.Shards).Wall;
            int jobSteps = row.Done.Length * steps;
            long calls = row.Done.Sum(s => s.Messages);
            table.Add([row.Workload, row.Shards, row.Kind, row.Wall, baseline / row.Wall, row.Ideal, row.Ideal / row.Wall,
                calls / (double)jobSteps, row.Done.Sum(s => s.BytesSent) / 1024.0 / jobSteps,
                row.Done.Sum(s => s.BytesReceived) / 1024.0 / jobSteps, (row.Wall - row.Ideal) * 1000 / steps, row.Cpu * 1000 / jobSteps,
                .. row.Phases is { } p ? PhaseValues(p, jobSteps, calls) : []]);
        }
        table.Notes.Add("wall s: first submission to the last completion (silo clocks). speedup: against the fewest shards of the same kind and workload.");
        table.Notes.Add("ideal s: rounds x ceil(windows / shards) x forward (the batch: ceil(jobs / shards)); overlap is counted, since overlapping frames are");
        table.Notes.Add("evaluated by both windows. efficiency: ideal / wall. overhead ms/step: (wall - ideal) / steps: routing, messages, fusion, P&P");
        table.Notes.Add("arithmetic, checkpoints and the result file. msgs/step, KB/step: per job step (evaluation calls and their payloads).");
        table.Notes.Add("silo cpu ms/step: CPU time of all silo processes (user + system) per job step, polling included: the coordination's cost in CPU, which a busy machine inflates less than wall time.");
        table.Notes.Add("simulated: the shards wait the forward time and answer without a model; everything else is the real cluster on this 2-core machine.");
        table.Notes.Add("real: the physics model on CPU, 1 thread per shard, beside the job loops on the same 2 cores.");
        if (phases)
        {
            table.Notes.Add("--phases (loom_step_phase_seconds_total of every silo, ms): per job step: step (the loop's wait for it), rounds (first window sent to last");
            table.Notes.Add("answer, summed over the step's rounds), arith (step - rounds: slicing, fusion, P&P, noise), ckpt (checkpoint write), state (grain state");
            table.Notes.Add("write); per window call: encode, route, msg (call - shard queue - shard forward: serialization and messaging), queue (at the shard), decode.");
        }
        return table;
    }


    internal static readonly string[] PhaseColumns =
        ["step ms", "rounds ms", "arith ms", "ckpt ms", "state ms", "encode ms/call", "route ms/call", "msg ms/call", "queue ms/call", "decode ms/call"];

    internal static object[] PhaseValues(PhaseSeconds p, int jobSteps, long calls)
    {
        double PerStep(string phase) => p[phase] * 1000 / jobSteps;
        double PerCall(string phase) => calls == 0 ? 0 : p[phase] * 1000 / calls;
        return [PerStep("step"), PerStep("rounds"), PerStep("step") - PerStep("rounds"), PerStep("checkpoint_write"), PerStep("state_write"),
            PerCall("encode"), PerCall("route"), PerCall("call") - PerCall("shard_queue") - PerCall("shard_forward"), PerCall("shard_queue"), PerCall("decode")];
    }

    /// <summary>Median seconds of one window's forward pass on the real model with one thread.</summary>
    private static double Calibrate(string weights, int window)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using PhysicsWorldModel model = WorldModelWeights.Load(weights);
            using Tensor latent = randn([1, 3, window, model.Config.Height, model.Config.Width]);
            var times = new List<double>();
            for (int i = 0; i < 25; i++)
            {
                using var scope = NewDisposeScope();
                long started = Stopwatch.GetTimestamp();
                WorldModelBatch.Evaluate(model, [new WindowInput(latent, 0.5, null, 1.0)]);
                times.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            return times.Skip(5).Order().ElementAt(10);
        }
        finally
        {
            set_num_threads(threads);
        }
    }
}
