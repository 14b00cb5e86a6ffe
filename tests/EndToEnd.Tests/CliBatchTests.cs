using System.Text.Json;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary><c>loom batch</c>, run as the real CLI process against a real silo process: per-item outputs, bad lines, resuming.</summary>
[Collection(SiloCollection.Name)]
public sealed class CliBatchTests(SiloFixture silo) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-batch-").FullName;

    [Fact]
    public async Task A_batch_of_ten_with_one_invalid_item_writes_nine_videos_and_a_rerun_submits_nothing_new()
    {
        string manifest = Manifest("ten.jsonl", Enumerable.Range(0, 10).Select(i =>
            i == 6 ? $$"""{"id": "item-{{i}}", "scene": {{i}}, "steps": 0}""" : $$"""{"id": "item-{{i}}", "scene": {{i}}, "seed": {{i}}, "frames": 16, "steps": 2, "plan": "none"}"""));
        long before = await TotalJobsAsync();

        LoomResult first = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "videos", "--server", silo.GrpcAddress, "--json");

        Assert.True(first.ExitCode == 1, first.ToString()); // an item was invalid
        Dictionary<string, JsonElement> items = Items(first);
        Assert.Equal(10, items.Count);
        JsonElement bad = items["item-6"];
        Assert.Equal("invalid", bad.GetProperty("status").GetString());
        Assert.Equal("steps", bad.GetProperty("field").GetString());
        Assert.StartsWith("steps:", bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("line 7 (item-6): invalid: steps:", first.Stderr, StringComparison.Ordinal);
        Assert.Equal(9, items.Values.Count(i => i.GetProperty("status").GetString() == "done"));
        string videos = Path.Combine(_folder, "videos");
        Assert.Equal(9, Directory.GetFiles(videos, "*.mp4").Length);
        Assert.False(File.Exists(Path.Combine(videos, "item-6.mp4")));
        foreach (int i in Enumerable.Range(0, 10).Where(i => i != 6))
        {
            string video = Path.Combine(videos, $"item-{i}.mp4");
            Assert.Equal(new Ffprobe(16, 256, 256), await Ffprobe.ReadAsync(video));
            JsonElement sidecar = JsonDocument.Parse(File.ReadAllText(video + ".json")).RootElement;
            Assert.Equal(i, sidecar.GetProperty("seed").GetInt64());
            Assert.Equal(items[$"item-{i}"].GetProperty("job_id").GetString(), sidecar.GetProperty("job_id").GetString());
            Assert.Equal($"test scene {i}", sidecar.GetProperty("spec").GetProperty("conditioning").GetProperty("source").GetString());
        }
        long after = await TotalJobsAsync();
        Assert.Equal(before + 9, after);

        LoomResult rerun = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "videos", "--server", silo.GrpcAddress, "--json");

        Assert.True(rerun.ExitCode == 1, rerun.ToString());
        Dictionary<string, JsonElement> again = Items(rerun);
        Assert.Equal(9, again.Values.Count(i => i.GetProperty("status").GetString() == "skipped"));
        Assert.Equal("invalid", again["item-6"].GetProperty("status").GetString());
        Assert.Equal(after, await TotalJobsAsync());
    }

    [Fact]
    public async Task A_lost_output_is_downloaded_again_from_its_finished_job_not_rendered_again()
    {
        string manifest = Manifest("three.jsonl", Enumerable.Range(0, 3).Select(i => $$"""{"id": "s{{i}}", "seed": {{100 + i}}, "steps": 2, "plan": "none"}"""));
        LoomResult first = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "gifs", "--format", "gif", "--server", silo.GrpcAddress, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        string lost = Path.Combine(_folder, "gifs", "s1.gif");
        byte[] original = await File.ReadAllBytesAsync(lost);
        File.Delete(lost);
        long before = await TotalJobsAsync();

        LoomResult rerun = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "gifs", "--format", "gif", "--server", silo.GrpcAddress, "--json");

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Dictionary<string, JsonElement> items = Items(rerun);
        Assert.Equal("done", items["s1"].GetProperty("status").GetString());
        Assert.Equal(Items(first)["s1"].GetProperty("job_id").GetString(), items["s1"].GetProperty("job_id").GetString());
        Assert.Equal("skipped", items["s0"].GetProperty("status").GetString());
        Assert.Equal("skipped", items["s2"].GetProperty("status").GetString());
        Assert.Equal(before, await TotalJobsAsync());
        Assert.Equal(original, await File.ReadAllBytesAsync(lost));
    }

    [Fact]
    public async Task An_item_whose_job_was_cancelled_fails_and_a_rerun_renders_it_once_under_a_new_attempt()
    {
        string manifest = Manifest("cancel.jsonl", ["""{"id": "quick", "steps": 1, "plan": "none"}""", """{"id": "slow", "steps": 60, "plan": "none", "frames": 8, "window_length": 8}"""]);
        using (LoomCli cli = LoomCli.Start(_folder, "batch", manifest, "--out", "runs", "--format", "safetensors", "--server", silo.GrpcAddress))
        {
            await cli.WaitForOutputAsync("slow (job ", TimeSpan.FromSeconds(60));
            string id = cli.Stdout.Split('\n').First(l => l.StartsWith("slow (job ", StringComparison.Ordinal))["slow (job ".Length..].Split(')')[0];
            await silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = id, Reason = "test cancels it" }, SiloFixture.Deadline());
            LoomResult first = await cli.WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(first.ExitCode == 1, first.ToString());
            Assert.Contains("slow): failed: cancelled: test cancels it", first.Stderr, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(_folder, "runs", "quick.safetensors")));
            Assert.False(File.Exists(Path.Combine(_folder, "runs", "slow.safetensors")));
        }
        long before = await TotalJobsAsync();

        LoomResult rerun = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "runs", "--format", "safetensors", "--server", silo.GrpcAddress, "--json");

        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Dictionary<string, JsonElement> items = Items(rerun);
        Assert.Equal("skipped", items["quick"].GetProperty("status").GetString());
        Assert.Equal("done", items["slow"].GetProperty("status").GetString());
        Assert.Equal(before + 1, await TotalJobsAsync());
        JsonElement sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "runs", "slow.safetensors.json"))).RootElement;
        Assert.Equal(1, sidecar.GetProperty("batch").GetProperty("attempt").GetInt32());
        Assert.Equal(60, sidecar.GetProperty("steps").GetProperty("done").GetInt32());
    }

    [Fact]
    public async Task Lines_that_are_not_json_or_name_an_unknown_field_are_reported_by_field_and_the_rest_render()
    {
        string manifest = Manifest("mixed.jsonl", ["{\"id\": \"broken\", \"steps\": ", """{"id": "typo", "stepz": 2}""", """{"id": "fine", "steps": 1, "plan": "none"}"""]);

        LoomResult run = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "mixed", "--format", "safetensors", "--server", silo.GrpcAddress, "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Dictionary<string, JsonElement> items = Items(run);
        Assert.Equal("json", items["line-1"].GetProperty("field").GetString());
        Assert.Equal("stepz", items["typo"].GetProperty("field").GetString());
        Assert.Contains("unknown field", items["typo"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("done", items["fine"].GetProperty("status").GetString());
        Assert.True(new FileInfo(Path.Combine(_folder, "mixed", "fine.safetensors")).Length > 0);
        JsonElement summary = run.JsonLines[^1];
        Assert.Equal(1, summary.GetProperty("done").GetInt32());
        Assert.Equal(2, summary.GetProperty("invalid").GetInt32());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Manifest(string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task At_most_max_in_flight_jobs_one_progress_line_and_an_index_line_per_item_as_it_finishes()
    {
        string manifest = Manifest("six.jsonl", Enumerable.Range(0, 6).Select(i => $$"""{"id": "b{{i}}", "seed": {{700 + i}}, "steps": 2, "plan": "none"}"""));

        LoomResult run = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "bounded", "--format", "safetensors", "--server", silo.GrpcAddress, "--max-in-flight", "2");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("batch: 6/6 finished (6 done, 0 failed), 0 running, 0 queued, 0 not submitted", run.Stdout, StringComparison.Ordinal);
        // Never more than 2 submitted and unfinished: each progress line counts running + queued.
        foreach (string line in run.Stdout.Split('\n').Where(l => l.StartsWith("batch: ", StringComparison.Ordinal)))
        {
            int running = int.Parse(line.Split(" running")[0].Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
            int queued = int.Parse(line.Split(" queued")[0].Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(running + queued <= 2, line);
        }
        string[] index = File.ReadAllLines(Path.Combine(_folder, "bounded", "index.jsonl"));
        Assert.Equal(6, index.Length);
        foreach (JsonElement entry in index.Select(l => JsonDocument.Parse(l).RootElement))
        {
            Assert.Equal("done", entry.GetProperty("status").GetString());
            string output = entry.GetProperty("output").GetString()!;
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(output))), entry.GetProperty("sha256").GetString());
            Assert.Equal(700 + int.Parse(entry.GetProperty("id").GetString()![1..], System.Globalization.CultureInfo.InvariantCulture), entry.GetProperty("seed").GetInt64());
            Assert.Equal(2, entry.GetProperty("nfe").GetInt64());
        }
    }

    [Fact]
    public async Task Ctrl_c_detaches_the_jobs_go_on_and_a_rerun_collects_them()
    {
        string manifest = Manifest("detach.jsonl", ["""{"id": "long", "steps": 60, "plan": "none", "frames": 8, "window_length": 8, "seed": 808}"""]);
        string id;
        using (LoomCli cli = LoomCli.Start(_folder, "batch", manifest, "--out", "detached", "--format", "safetensors", "--server", silo.GrpcAddress))
        {
            await cli.WaitForOutputAsync("long (job ", TimeSpan.FromSeconds(60));
            id = cli.Stdout.Split('\n').First(l => l.StartsWith("long (job ", StringComparison.Ordinal))["long (job ".Length..].Split(')')[0];
            cli.Interrupt();
            LoomResult first = await cli.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(first.ExitCode == 130, first.ToString());
            Assert.Contains("detached: the batch's 1 unfinished jobs go on", first.Stderr, StringComparison.Ordinal);
        }
        Job job = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, SiloFixture.Deadline());
        Assert.NotEqual(JobState.Cancelled, job.State);

        LoomResult rerun = await LoomCli.RunAsync(_folder, "batch", manifest, "--out", "detached", "--format", "safetensors", "--server", silo.GrpcAddress, "--json");
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(id, Items(rerun)["long"].GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task A_seed_range_that_is_not_one_is_refused_before_anything_is_submitted()
    {
        LoomResult run = await LoomCli.RunAsync(_folder, "batch", "--seeds", "9-2", "--out", "none", "--server", silo.GrpcAddress);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--seeds: '9-2' is not a seed or a range", run.Stderr, StringComparison.Ordinal);
    }

    private static Dictionary<string, JsonElement> Items(LoomResult run)
        => run.JsonLines.Where(l => l.GetProperty("event").GetString() == "item").ToDictionary(l => l.GetProperty("id").GetString()!);

    private async Task<long> TotalJobsAsync()
        => (await silo.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1 }, SiloFixture.Deadline())).Total;
}
