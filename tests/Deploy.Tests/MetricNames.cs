using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>The Prometheus metrics the silo serves on /metrics (issue 7), as the dashboard and the autoscaler name them.</summary>
internal static partial class MetricNames
{
    public static readonly string[] Gauges =
        ["loom_jobs", "loom_queue_waiting", "loom_shard_queue_depth", "loom_shard_busy_ratio", "loom_shard_breaker_open", "loom_checkpoint_age_seconds"];

    public static readonly string[] Counters = ["loom_nfe_total", "loom_eval_retries_total", "loom_wire_bytes_total"];

    public static readonly string[] Histograms =
        ["loom_queue_wait_seconds", "loom_job_duration_seconds", "loom_step_duration_seconds", "loom_window_eval_seconds", "loom_certain_fraction", "loom_batch_size"];

    public static IEnumerable<string> All => Gauges.Concat(Counters).Concat(Histograms);

    /// <summary>The Loom metrics a PromQL text reads, histogram series (_bucket, _sum, _count) folded into their histogram.</summary>
    public static IEnumerable<string> In(string promql)
        => Series().Matches(promql).Select(m => m.Value).Select(s => Histograms.FirstOrDefault(h => s == h || (s.StartsWith(h + "_", StringComparison.Ordinal) && !All.Contains(s))) ?? s);

    [GeneratedRegex(@"\bloom_[a-z_]+\b")]
    private static partial Regex Series();
}
