using System.Globalization;
using System.Text.RegularExpressions;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>/metrics of a real silo: every loom_* series the dashboard and the autoscaler read, with the values a job left there.</summary>
[Collection(SiloCollection.Name)]
public sealed partial class MetricsTests(SiloFixture silo)
{
    private static readonly string[] Gauges =
        ["loom_jobs", "loom_queue_waiting", "loom_shard_queue_depth", "loom_shard_busy_ratio", "loom_shard_breaker_open", "loom_checkpoint_age_seconds",
         "loom_storage_full", "loom_state_store_refusing_writes", "loom_state_store_memory_ratio", "loom_watch_streams"];

    private static readonly string[] Counters = ["loom_nfe_total", "loom_eval_retries_total", "loom_resident_rounds_total", "loom_wire_bytes_total", "loom_corrupt_data_total", "loom_step_phase_seconds_total"];

    private static readonly string[] Histograms =
        ["loom_queue_wait_seconds", "loom_job_duration_seconds", "loom_step_duration_seconds", "loom_window_eval_seconds", "loom_certain_fraction", "loom_batch_size",
         "loom_wan_stage_seconds"];

    [Fact]
    public async Task A_finished_job_shows_in_every_loom_metric_beside_the_orleans_and_polly_meters()
    {
        Scrape before = await ScrapeAsync();
        // One window of 12 frames: a job-owned window, whose calls the wire and call-phase series count (a video of two
        // windows or more runs on resident windows, ResidentWindowTests).
        JobSpec spec = Requests.Small(seed: 71);
        (spec.WindowLength, spec.WindowOverlap) = (spec.Frames, 0);
        Job submitted = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, SiloFixture.Deadline());
        Job done = (await Requests.WatchAllAsync(silo.Jobs, submitted.JobId))[^1].Job;
        Assert.Equal(JobState.Completed, done.State);
        // The watch can see Completed a moment before the job's loop records its duration (the grain answers status
        // calls while the loop awaits its final save): metrics are eventually consistent, so wait a little for it.
        Scrape after = await ScrapeAsync();
        for (int i = 0; i < 50 && after.Delta(before, "loom_job_duration_seconds_count") < 1; i++)
        {
            await Task.Delay(100);
            after = await ScrapeAsync();
        }

        // Exactly these names and types: no unit or _total suffix added, no meter prefix.
        Assert.All(Gauges, m => Assert.Equal("gauge", after.Type(m)));
        Assert.All(Counters, m => Assert.Equal("counter", after.Type(m)));
        Assert.All(Histograms, m => Assert.Equal("histogram", after.Type(m)));
        Assert.DoesNotContain(after.Names, n => n.StartsWith("loom_", StringComparison.Ordinal) && !Gauges.Concat(Counters).Any(m => n == m)
            && !Histograms.Any(h => n is var s && (s == h + "_bucket" || s == h + "_sum" || s == h + "_count")));

        // The job's forward passes, by kind, as its status counts them (tests in this collection run one at a time).
        Assert.Equal(done.Evaluations - done.RefineEvaluations, after.Delta(before, "loom_nfe_total", "kind", "base"));
        Assert.Equal(done.RefineEvaluations, after.Delta(before, "loom_nfe_total", "kind", "refine"));
        Assert.Equal(done.SkippedEvaluations, after.Delta(before, "loom_nfe_total", "kind", "skipped"));
        Assert.True(done.RefineEvaluations > 0, "the small job refines at step 1");
        Assert.True(after.Sum("loom_eval_retries_total") >= 0);
        // Latents out, velocities back: the same number of values each way (plus given frames, sent once per shard).
        double sent = after.Delta(before, "loom_wire_bytes_total", "direction", "sent");
        double received = after.Delta(before, "loom_wire_bytes_total", "direction", "received");
        Assert.True(received > 0 && sent >= received, $"wire bytes: sent {sent}, received {received}");
        // Where its steps' time went: the loop waited for each step, its windows were encoded and called, its checkpoints written.
        Assert.All(new[] { "step", "rounds", "encode", "call", "checkpoint_write", "state_write" },
            phase => Assert.True(after.Delta(before, "loom_step_phase_seconds_total", "phase", phase) > 0, $"no time in phase {phase}"));

        Assert.True(after.Sum("loom_jobs", "state", "completed") >= 1);
        Assert.All(new[] { "queued", "running", "failed", "cancelled" }, s => Assert.True(after.Sum("loom_jobs", "state", s) >= 0));
        Assert.True(after.Sum("loom_queue_waiting") >= 0);
        Assert.True(after.Sum("loom_checkpoint_age_seconds") >= 0);

        // Two shards on this silo, each with its own series; ratios and breaker states in range.
        Assert.Equal(2, after.Series("loom_shard_queue_depth").Count);
        Assert.Equal(2, after.Series("loom_shard_busy_ratio").Count);
        Assert.All(after.Series("loom_shard_busy_ratio"), s => Assert.InRange(s.Value, 0, 1));
        Assert.All(after.Series("loom_shard_queue_depth"), s => Assert.True(s.Value >= 0));
        Assert.NotEmpty(after.Series("loom_shard_breaker_open"));
        Assert.All(after.Series("loom_shard_breaker_open"), s => Assert.Contains(s.Value, new[] { 0.0, 1.0 }));

        Assert.Equal(1, after.Delta(before, "loom_queue_wait_seconds_count"));
        Assert.Equal(1, after.Delta(before, "loom_job_duration_seconds_count"));
        Assert.Equal(done.StepsTotal, after.Delta(before, "loom_step_duration_seconds_count"));
        Assert.True(after.Delta(before, "loom_certain_fraction_count") >= 1, "step 1 refined");
        double forwards = after.Delta(before, "loom_window_eval_seconds_count");
        Assert.True(forwards >= 1);
        Assert.Equal(forwards, after.Delta(before, "loom_batch_size_count"));
        Assert.True(after.Delta(before, "loom_window_eval_seconds_sum") > 0);
        Assert.True(after.Delta(before, "loom_job_duration_seconds_sum") > 0);

        // Orleans' and Polly's own meters (System.Diagnostics.Metrics "Microsoft.Orleans" and "Polly").
        Assert.Contains(after.Names, n => n.StartsWith("microsoft_orleans_", StringComparison.Ordinal));
        Assert.Contains(after.Names, n => n.StartsWith("polly_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_are_plain_http_on_their_own_port_and_not_on_the_grpc_port()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{silo.Silo.MetricsPort}/metrics"));
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.Silo.GrpcPort}/metrics")));
    }

    private async Task<Scrape> ScrapeAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return Scrape.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.Silo.MetricsPort}/metrics")));
    }

    /// <summary>One scrape in the Prometheus text format.</summary>
    private sealed partial class Scrape
    {
        private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

        public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

        public static Scrape Parse(string text)
        {
            var scrape = new Scrape();
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ');
                    scrape._types[parts[2]] = parts[3];
                    continue;
                }
                if (line.StartsWith('#'))
                {
                    continue;
                }
                Match sample = SampleLine().Match(line);
                Assert.True(sample.Success, $"not a sample line: {line}");
                var labels = LabelPair().Matches(sample.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
                scrape._samples.Add((sample.Groups[1].Value, labels, double.Parse(sample.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
            return scrape;
        }

        public string? Type(string name) => _types.GetValueOrDefault(name);

        public List<(Dictionary<string, string> Labels, double Value)> Series(string name)
            => _samples.Where(s => s.Name == name).Select(s => (s.Labels, s.Value)).ToList();

        public double Sum(string name, string? label = null, string? value = null)
        {
            var series = Series(name).Where(s => label is null || s.Labels.GetValueOrDefault(label) == value).ToList();
            Assert.True(series.Count > 0, $"no series {name}{(label is null ? "" : $"{{{label}=\"{value}\"}}")}");
            return series.Sum(s => s.Value);
        }

        public double Delta(Scrape before, string name, string? label = null, string? value = null)
            => Sum(name, label, value) - before.Sum(name, label, value);

        [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")]
        private static partial Regex SampleLine();

        [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
        private static partial Regex LabelPair();
    }
}
