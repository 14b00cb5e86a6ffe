using System.Diagnostics;
using System.Globalization;
using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loom.Bench;

/// <summary>
/// What a dataset batch costs the silo per job when the model costs nothing: N one-frame, one-step jobs (the spec of
/// <c>BatchScaleTests</c>' manifest) through an embedded silo whose shards are simulated (0.5 ms a forward), at most
/// <c>--max-in-flight</c> submitted and unfinished at once, as <c>loom batch</c> keeps them. Everything but the forward is
/// real: submit, queue, grain state, checkpoint, result file and store, job index. The silo's CPU per job is the
/// process's CPU time over the run divided by the jobs (the driver's polls included: a few percent).
/// </summary>
public static class BatchJobsBenchmark
{
    /// <summary>Runs it: <c>--items 1000,10000 --max-in-flight 256 --running 64 --models</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int[] sizes = args.Ints("items", "1000,10000");
        int inFlight = args.Int("max-in-flight", 256);
        int running = args.Int("running", 64);
        string models = Path.GetFullPath(args.Text("models", "models"));
        var table = new BenchTable("batch-jobs", new Dictionary<string, object>
        {
            ["job"] = "1 frame, 1 window, 1 step, plan none, simulated forward 0.5 ms",
            ["silo"] = $"embedded, files, 1 shard, MaxRunningJobs {running}",
            ["in flight"] = inFlight,
        }, ["items", "wall s", "jobs/s", "CPU ms per job", "peak RSS MiB", "GC heap MiB after", "gen2 GCs", "every item once"]);
        foreach (int items in sizes)
        {
            string data = Directory.CreateTempSubdirectory("loom-bench-batch-").FullName;
            try
            {
                using IHost silo = OverheadBenchmark.EmbeddedSilo(models, data, Ports.Free(), Ports.Free(), new Dictionary<string, string?>
                {
                    ["Loom:SimulatedForward"] = "00:00:00.0005",
                    ["Loom:MaxRunningJobs"] = running.ToString(CultureInfo.InvariantCulture),
                });
                await silo.StartAsync();
                var grains = silo.Services.GetRequiredService<IGrainFactory>();
                await OverheadBenchmark.RunJobAsync(grains, "warm-up", Spec(0)); // JIT and model load outside the figures
                using var process = Process.GetCurrentProcess();
                TimeSpan cpu = process.TotalProcessorTime;
                int gen2 = GC.CollectionCount(2);
                long peak = 0;
                var clock = Stopwatch.StartNew();
                var completed = await RunAsync(grains, items, inFlight, () =>
                {
                    process.Refresh();
                    peak = Math.Max(peak, process.WorkingSet64);
                });
                double wall = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / items;
                table.Add(items, wall, items / wall, cpuMs, peak >> 20, GC.GetTotalMemory(forceFullCollection: true) >> 20,
                    GC.CollectionCount(2) - gen2, completed.Count == items ? "yes" : $"NO ({completed.Count})");
                await silo.StopAsync();
            }
            finally
            {
                Directory.Delete(data, recursive: true);
            }
        }
        table.Notes.Add($"load average at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores (the figures are CPU-bound: divide CPU ms per job by the cores to read the best jobs/s).");
        return table;
    }

    /// <summary>Submits item after item while fewer than <paramref name="inFlight"/> are unfinished, polling those; returns the ids completed.</summary>
    private static async Task<HashSet<string>> RunAsync(IGrainFactory grains, int items, int inFlight, Action sample)
    {
        var completed = new HashSet<string>(StringComparer.Ordinal);
        var open = new List<string>();
        int next = 0;
        while (completed.Count < items)
        {
            while (open.Count < inFlight && next < items)
            {
                string id = $"batch-{next}";
                await grains.GetGrain<IRenderJobGrain>(id).SubmitAsync(Spec(next++));
                open.Add(id);
            }
            await Task.Delay(100);
            sample();
            JobStatus[] statuses = await Task.WhenAll(open.Select(id => grains.GetGrain<IRenderJobGrain>(id).GetStatusAsync()));
            foreach (JobStatus status in statuses.Where(s => s.IsFinal))
            {
                if (status.Phase != JobPhase.Completed)
                {
                    throw new InvalidOperationException($"job {status.JobId} ended {status.Phase}: {status.Error}");
                }
                if (!completed.Add(status.JobId))
                {
                    throw new InvalidOperationException($"job {status.JobId} completed twice.");
                }
                open.Remove(status.JobId);
            }
        }
        return completed;
    }

    private static JobSpec Spec(long seed) => new(Frames: 1, Steps: 1, Plan: "none", WindowLength: 1, WindowOverlap: 0, Seed: seed);
}
