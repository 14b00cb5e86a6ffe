using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loom.Bench;

/// <summary>
/// <c>device-job</c>: a silo in this process with one shard on <c>--devices</c> (<c>cuda</c> on a GPU machine) runs the
/// overhead benchmark's job (several co-denoised windows with P&amp;P) a few times, and splits each run's wall time into
/// the shard's forward passes and the rest: coordination (grain calls, serialization, wire copies, fusion and the
/// checkpoint of every step), per step.
/// </summary>
public static class DeviceJobBenchmark
{
    /// <summary>Runs it: <c>--devices --frames --window --overlap --steps --plan --repeats --models</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        string models = Path.GetFullPath(args.Text("models", "models"));
        OverheadBenchmark.Weights(models);
        JobSpec spec = OverheadBenchmark.Job(args);
        string devices = args.Text("devices", "auto");
        int repeats = args.Int("repeats", 3);
        string data = Directory.CreateTempSubdirectory("loom-bench-").FullName;
        using IHost silo = OverheadBenchmark.EmbeddedSilo(models, data, Ports.Free(), Ports.Free(), new Dictionary<string, string?> { ["Loom:Devices"] = devices });
        try
        {
            await silo.StartAsync();
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"--devices {devices}: {e.Message}", e);
        }
        ShardWorker shard = silo.Services.GetRequiredService<ShardHost>().Workers.Single();
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        int windows = JobSpecValidator.Windows(spec).Windows.Count;
        var table = new BenchTable("device-job", new Dictionary<string, object>
        {
            ["job"] = $"{spec.Frames} frames, windows {spec.WindowLength}/{spec.WindowOverlap} ({windows}), {spec.Steps} steps, plan {spec.Plan}, tau {spec.Tau}",
            ["shard"] = $"{shard.Device} ({shard.DeviceName})",
            ["devices"] = devices,
        }, ["run", "wall s", "evaluations", "forwards", "forward s", "coordination s", "coordination ms/step", "device free GiB", "latent sha256"]);

        await OverheadBenchmark.RunJobAsync(grains, $"device-warm-{Guid.NewGuid():N}", spec); // model load, JIT, kernels
        for (int run = 0; run < repeats; run++)
        {
            ShardInfo before = shard.Info("");
            JobStatus done = await OverheadBenchmark.RunJobAsync(grains, $"device-{run}-{Guid.NewGuid():N}", spec);
            ShardInfo after = shard.Info("");
            double wall = (done.FinishedAt!.Value - done.StartedAt!.Value).TotalSeconds;
            double forward = after.BusySeconds - before.BusySeconds;
            table.Add(run + 1, wall, done.Evaluations, after.Forwards - before.Forwards, forward, wall - forward,
                1000 * (wall - forward) / spec.Steps, after.MemoryFreeBytes / 1073741824.0, done.LatentSha256?[..16] ?? "-");
        }
        await silo.StopAsync();
        Directory.Delete(data, recursive: true);
        table.Notes.Add("wall s: the job's admission to completion; forward s: the shard's forward passes in that time (its busy seconds).");
        table.Notes.Add("coordination: the rest, per outer step (grain calls, wire encoding and the device copies, window fusion, a checkpoint per step).");
        return table;
    }
}
