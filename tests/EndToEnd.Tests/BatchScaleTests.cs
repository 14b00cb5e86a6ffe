using System.Globalization;
using System.Text.Json;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// <c>loom batch --prompts x --seeds</c> at dataset scale, the real CLI against a real silo whose shards are simulated
/// (each forward pass a short wait; the rest of every job is real: queue, grain state, result store, download, index):
/// every item renders exactly once, and the CLI and the silo stay bounded while it runs. Ten thousand items (10 prompts x
/// 1,000 seeds); the silo spends ~9 ms of CPU per one-step job on an idle 2-core machine (grain state, checkpoint, result,
/// index). <c>bench -- batch-jobs --items N</c> prints the silo's CPU per job and its memory (bench/results/batch-jobs.txt).
/// </summary>
public sealed class BatchScaleTests : IAsyncLifetime
{
    private const int Prompts = 10;
    private const int Seeds = 1000;
    private const int Items = Prompts * Seeds;

    private readonly string _folder = Directory.CreateTempSubdirectory("loom-batch-scale-").FullName;
    private SiloFixture? _silo;

    private SiloFixture Silo => _silo!;

    public async Task InitializeAsync()
        => _silo = await SiloFixture.StartAsync("SimulatedForward=00:00:00.0005", "MaxRunningJobs=64");

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Ten_thousand_items_render_once_each_through_one_status_channel_with_bounded_streams_and_memory()
    {
        string prompts = Path.Combine(_folder, "prompts.txt");
        await File.WriteAllLinesAsync(prompts, Enumerable.Range(0, Prompts).Select(i => $"a ball bounces off wall {i}"));
        string manifest = Path.Combine(_folder, "tiny.jsonl");
        await File.WriteAllTextAsync(manifest, """{"id": "t", "frames": 1, "window_length": 1, "window_overlap": 0, "steps": 1, "plan": "none"}""");
        long before = (await Silo.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1 }, SiloFixture.Deadline())).Total;

        using LoomCli cli = LoomCli.Start(_folder, "batch", manifest, "--prompts", prompts, "--seeds", $"0-{Seeds - 1}", "--out", "clips",
            "--format", "safetensors", "--server", Silo.GrpcAddress, "--max-in-flight", "256", "--json");
        using var http = new HttpClient();
        var metrics = new Uri($"http://127.0.0.1:{Silo.Silo.MetricsPort}/metrics");
        double streams = 0;
        var rss = new List<long>();
        long siloPeak = 0;
        Task<LoomResult> run = cli.WaitAsync(TimeSpan.FromMinutes(15));
        while (!run.IsCompleted)
        {
            streams = Math.Max(streams, Requests.Gauge(await http.GetStringAsync(metrics), "loom_watch_streams"));
            if (ResidentBytes(cli.Id) is { } bytes)
            {
                rss.Add(bytes);
            }
            siloPeak = Math.Max(siloPeak, Silo.Silo.ResidentBytes);
            await Task.WhenAny(run, Task.Delay(500));
        }
        LoomResult result = await run;

        Assert.True(result.ExitCode == 0, result.ToString()[..Math.Min(4000, result.ToString().Length)]);
        string[] index = await File.ReadAllLinesAsync(Path.Combine(_folder, "clips", "index.jsonl"));
        Assert.Equal(Items, index.Length);
        JsonElement[] entries = [.. index.Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal(Items, entries.Select(e => e.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(Items, entries.Select(e => e.GetProperty("job_id").GetString()).Distinct().Count());
        Assert.All(entries, e => Assert.Equal("done", e.GetProperty("status").GetString()));
        JsonElement one = entries.Single(e => e.GetProperty("id").GetString() == "t-p7-s42");
        Assert.Equal(42, one.GetProperty("seed").GetInt64());
        Assert.Equal("a ball bounces off wall 7", one.GetProperty("prompt").GetString());
        JsonElement sidecar = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "clips", "t-p7-s42.safetensors.json"))).RootElement;
        Assert.Equal("a ball bounces off wall 7", sidecar.GetProperty("prompt").GetString());
        Assert.False(sidecar.GetProperty("batch").GetProperty("prompt_sent").GetBoolean()); // the physics model takes no text
        Assert.Equal(42, sidecar.GetProperty("seed").GetInt64());
        long after = (await Silo.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1 }, SiloFixture.Deadline())).Total;
        Assert.Equal(before + Items, after); // every item exactly once: no job twice, none lost
        Assert.Equal(Items, Directory.GetFiles(Path.Combine(_folder, "clips"), "*.safetensors").Length);

        // One status channel: no watch stream is ever open on the silo (polls hold nothing there).
        Assert.Equal(0, streams);
        // The CLI holds only what is in flight: its resident memory stays bounded by what is in flight, not by the batch.
        Assert.True(rss.Count > 0, "the CLI's memory was never sampled");
        long peak = rss.Max();
        Assert.True(peak < 400L << 20, $"the CLI's peak resident memory was {peak >> 20} MiB");
        // The silo keeps finished jobs in its store and index, not in memory: 10,000 of them fit well under a gigabyte.
        Assert.True(siloPeak < 1L << 30, $"the silo's peak resident memory was {siloPeak >> 20} MiB");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"batch scale: {Items} items, CLI peak RSS {peak >> 20} MiB (first sample {rss[0] >> 20} MiB, {rss.Count} samples), silo peak RSS {siloPeak >> 20} MiB, max open watch streams {streams}"));
    }

    private static long? ResidentBytes(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null; // it has just exited
        }
    }
}
