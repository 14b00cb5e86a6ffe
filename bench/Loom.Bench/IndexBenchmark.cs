using System.Diagnostics;
using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace Loom.Bench;

/// <summary>
/// What a submit costs at the job index as the list grows: the index as it was (one grain state holding every entry,
/// rewritten whole on each change; measured by writing that state through the silo's own grain storage, twice per
/// submit as the key claim and the entry did) against the index as it is (one record per job and per key), measured
/// through the grains: the index's key claim and entry, and the whole submit (key claim, then the job grain's submit).
/// </summary>
public static class IndexBenchmark
{
    /// <summary>Runs it: <c>--jobs 100,10000</c> (jobs already listed), <c>--submits 40</c> (timed submits per size), <c>--models</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int[] sizes = args.Ints("jobs", "100,10000");
        int submits = args.Int("submits", 40);
        string models = Path.GetFullPath(args.Text("models", "models"));
        var table = new BenchTable("index", new Dictionary<string, object>
        {
            ["store"] = "files (embedded mode), one silo in this process",
            ["submits"] = $"{submits} per row (median shown)",
        }, ["existing jobs", "index", "bytes written per submit", "index ms per submit", "submit ms", "index load ms"]);
        foreach (int size in sizes)
        {
            string data = Directory.CreateTempSubdirectory("loom-bench-index-").FullName;
            try
            {
                using IHost silo = OverheadBenchmark.EmbeddedSilo(models, data, Ports.Free(), Ports.Free());
                await silo.StartAsync();
                var (wholeMs, wholeBytes) = await WholeStateAsync(silo.Services, data, size, submits);
                table.Add(size, "whole state (before)", wholeBytes, wholeMs, double.NaN, double.NaN);
                var (entryMs, submitMs, loadMs, entryBytes) = await PerEntryAsync(silo.Services, data, size, submits);
                table.Add(size, "one record per entry (now)", entryBytes, entryMs, submitMs, loadMs);
                await silo.StopAsync();
            }
            finally
            {
                Directory.Delete(data, recursive: true);
            }
        }
        table.Notes.Add("index ms per submit: the index's writes for one submit with an idempotency key (before: the whole state twice, through the silo's grain storage; now: the key claim and the entry through the index grain).");
        table.Notes.Add("submit ms: a whole submit through the grains (key claim, then the job grain validates, queues and persists, and records itself in the index), queue paused. index load ms: the index grain's first call, which reads every record.");
        return table;
    }

    private static async Task<(double Ms, long Bytes)> WholeStateAsync(IServiceProvider services, string data, int size, int submits)
    {
        IGrainStorage storage = services.GetRequiredKeyedService<IGrainStorage>("jobs");
        var state = new JobIndexState();
        for (int i = 0; i < size; i++)
        {
            Add(state, $"old-{i}");
        }
        var grainState = new GrainState<JobIndexState>(state);
        GrainId grain = GrainId.Create("loom.bench-index", "whole");
        await storage.WriteStateAsync("index", grain, grainState);
        var times = new List<double>();
        for (int i = 0; i < submits; i++)
        {
            Add(state, $"new-{i}");
            long started = Stopwatch.GetTimestamp();
            await storage.WriteStateAsync("index", grain, grainState); // the key claim
            await storage.WriteStateAsync("index", grain, grainState); // the entry
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        long bytes = new DirectoryInfo(Path.Combine(data, "state")).EnumerateFiles("*.state", SearchOption.AllDirectories).Max(f => f.Length);
        return (RepositoryFiles.Median(times), 2 * bytes);
    }

    private static async Task<(double IndexMs, double SubmitMs, double LoadMs, long Bytes)> PerEntryAsync(IServiceProvider services, string data, int size, int submits)
    {
        IJobIndexStore store = services.GetRequiredService<IJobIndexStore>();
        for (int i = 0; i < size; i++)
        {
            JobIndexEntry entry = Entry($"listed-{i}", i + 1);
            await store.SaveAsync(entry);
            await store.BindKeyAsync(entry.IdempotencyKey!, entry.JobId);
        }
        var grains = services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IJobQueueGrain>(JobQueueGrain.Key).SetPausedAsync(true);
        IJobIndexGrain index = grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);
        long loading = Stopwatch.GetTimestamp();
        await index.FindByKeyAsync("none");
        double loadMs = Stopwatch.GetElapsedTime(loading).TotalMilliseconds;
        var indexTimes = new List<double>();
        var submitTimes = new List<double>();
        for (int i = 0; i < submits; i++)
        {
            JobIndexEntry entry = Entry($"indexed-{i}", 0);
            long started = Stopwatch.GetTimestamp();
            await index.ClaimKeyAsync(entry.IdempotencyKey!, entry.JobId);
            await index.RecordAsync(entry);
            indexTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            string key = $"bench/submitted-{i}";
            started = Stopwatch.GetTimestamp();
            string jobId = await index.ClaimKeyAsync(key, $"submitted-{i}");
            await grains.GetGrain<IRenderJobGrain>(jobId).SubmitAsync(new JobSpec(Frames: 8, Steps: 3, Plan: "1:1", WindowLength: 8, WindowOverlap: 0, Seed: i), key);
            submitTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        string folder = Path.Combine(data, "index");
        long bytes = new DirectoryInfo(Path.Combine(folder, "jobs")).EnumerateFiles().Max(f => f.Length) + new DirectoryInfo(Path.Combine(folder, "keys")).EnumerateFiles().Max(f => f.Length);
        return (RepositoryFiles.Median(indexTimes), RepositoryFiles.Median(submitTimes), loadMs, bytes);
    }

    private static void Add(JobIndexState state, string jobId)
    {
        JobIndexEntry entry = Entry(jobId, state.NextSequence++);
        state.Jobs[jobId] = entry;
        state.Keys[entry.IdempotencyKey!] = jobId;
    }

    private static JobIndexEntry Entry(string jobId, long sequence)
        => new(jobId, "physics", JobPhase.Queued, DateTimeOffset.UtcNow, $"bench/{jobId}", sequence, "bench");
}
