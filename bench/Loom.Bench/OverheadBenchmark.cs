using System.Diagnostics;
using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Models.Physics;
using Loom.Models.WorldModel;
using Loom.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loom.Bench;

/// <summary>
/// What the cluster costs over the bare sampler: the same job (the physics model, co-denoised windows with P&amp;P)
/// run directly in-process, through an embedded silo with one shard, and through a cluster of two silo processes.
/// </summary>
public static class OverheadBenchmark
{
    /// <summary>Runs it: <c>--frames --window --overlap --steps --plan --repeats --models</c>, <c>--resident no|yes|both</c> (the silos' <c>ResidentWindows</c>, yes by default as on a silo).</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        string models = Path.GetFullPath(args.Text("models", "models"));
        int repeats = args.Int("repeats", 3);
        JobSpec spec = Job(args);
        string weights = Weights(models);

        var table = new BenchTable("overhead", new Dictionary<string, object>
        {
            ["job"] = $"{spec.Frames} frames, windows {spec.WindowLength}/{spec.WindowOverlap} ({JobSpecValidator.Windows(spec).Windows.Count}), {spec.Steps} steps, plan {spec.Plan}",
            ["repeats"] = $"{repeats} (best wall time shown)",
        }, ["way", "shards", "wall s", "evaluations", "ratio to direct", "same bits"]);

        // 1. The sampler in this process, windows evaluated one after another by the model directly.
        using PhysicsWorldModel model = WorldModelWeights.Load(weights);
        string reference = "";
        int evaluations = 0;
        double direct = await Best(repeats, async () =>
        {
            evaluations = 0;
            using var latent = await JobRun.RunAsync(spec, (w, c) => new WireRoundedField(new WorldModelField(model, c, spec.Guidance), spec.Wire), r => evaluations += r.Evaluations);
            reference = JobSampling.Hash(latent);
        });
        table.Add("direct, in-process sampler", 0, direct, evaluations, 1.0, "reference");

        // 2. An embedded silo in this process with one shard, then 3. two silo processes (localhost clustering), one shard
        // each, and a client here; each with the windows resident on the shards (the default) and/or held by the job.
        string data = Directory.CreateTempSubdirectory("loom-bench-").FullName;
        bool[] passes = args.ResidentPasses("yes");
        foreach (bool resident in passes)
        {
            string label = passes.Length > 1 ? (resident ? ", resident" : ", job-owned") : "";
            string setting = resident ? "true" : "false";
            using (IHost silo = EmbeddedSilo(models, data, Ports.Free(), Ports.Free(), new Dictionary<string, string?> { ["Loom:ResidentWindows"] = setting }))
            {
                await silo.StartAsync();
                var grains = silo.Services.GetRequiredService<IGrainFactory>();
                var (seconds, status) = await RunJobs(grains, spec, $"embedded-{setting}", repeats);
                table.Add($"embedded silo, 1 shard{label}", 1, seconds, status.Evaluations, seconds / direct, status.LatentSha256 == reference ? "yes" : "NO");
                await silo.StopAsync();
            }
            await using (BenchCluster cluster = await BenchCluster.StartAsync(models, silos: 2, shardsPerSilo: 1, new Dictionary<string, string> { ["ResidentWindows"] = setting }))
            {
                var (seconds, status) = await RunJobs(cluster.Grains, spec, $"processes-{setting}", repeats);
                table.Add($"2 silo processes{label}", 2, seconds, status.Evaluations, seconds / direct, status.LatentSha256 == reference ? "yes" : "NO");
            }
        }
        Directory.Delete(data, recursive: true);
        table.Notes.Add("wall s: submit to completed (cluster rows include grain calls, serialization, checkpoints to disk every step and the output file).");
        table.Notes.Add("same bits: the final latent's SHA-256 equals the direct run's. Windows of one step run in parallel on the cluster rows.");
        return table;
    }

    /// <summary>The benchmark job: the physics model continuing held-out scene 0, co-denoised windows with P&amp;P (<c>--frames --window --overlap --steps --plan</c>).</summary>
    internal static JobSpec Job(BenchArguments args) => new(
        Frames: args.Int("frames", 40), Steps: args.Int("steps", 12), Plan: args.Text("plan", "1-4:2"), Tau: 0.1,
        WindowLength: args.Int("window", 16), WindowOverlap: args.Int("overlap", 4), Seed: 5, Conditioning: new GivenFrames(2, new PhysicsSimulator(32, 32).Generate(PhysicsDataset.TestSeed(0), 2).ToRgb(2)));

    /// <summary>The physics model's file in <paramref name="models"/>; the error names <c>--models</c>.</summary>
    internal static string Weights(string models)
    {
        string weights = Path.Combine(models, "physics-world-model.safetensors");
        return File.Exists(weights) ? weights : throw new ArgumentException($"--models: {weights} does not exist.");
    }

    private static async Task<(double Seconds, JobStatus Status)> RunJobs(IGrainFactory grains, JobSpec spec, string prefix, int repeats)
    {
        JobStatus last = null!;
        int run = 0;
        double best = await Best(repeats, async () => last = await RunJobAsync(grains, $"{prefix}-{run++}-{Guid.NewGuid():N}", spec));
        return (best, last);
    }

    /// <summary>Submits <paramref name="spec"/> as job <paramref name="id"/> and polls until it is final; throws unless it completed.</summary>
    internal static async Task<JobStatus> RunJobAsync(IGrainFactory grains, string id, JobSpec spec)
    {
        await grains.GetGrain<IRenderJobGrain>(id).SubmitAsync(spec);
        JobStatus last;
        do
        {
            await Task.Delay(20);
            last = await grains.GetGrain<IRenderJobGrain>(id).GetStatusAsync();
        }
        while (!last.IsFinal);
        return last.Phase == JobPhase.Completed ? last : throw new InvalidOperationException($"job {id} ended {last.Phase}: {last.Error}");
    }

    private static async Task<double> Best(int repeats, Func<Task> run)
    {
        await run(); // warm-up: JIT, model load
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>A silo in this process (localhost clustering) with one shard, serving <paramref name="models"/>; <paramref name="settings"/> (full keys, <c>Loom:Devices</c>) on top.</summary>
    internal static IHost EmbeddedSilo(string models, string data, int siloPort, int gatewayPort, IReadOnlyDictionary<string, string?>? settings = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loom:ModelDirectory"] = models, ["Loom:DataDirectory"] = data, ["Loom:OutputDirectory"] = Path.Combine(data, "out"),
            ["Loom:Shards"] = "1", ["Loom:SiloPort"] = siloPort.ToString(), ["Loom:GatewayPort"] = gatewayPort.ToString(),
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddLoomSilo();
        return builder.Build();
    }
}
