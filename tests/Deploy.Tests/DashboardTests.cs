using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>The Grafana dashboard and the autoscaler read only metrics the silo serves, and the dashboard shows them all.</summary>
public sealed class DashboardTests
{
    private static readonly JsonObject _dashboard = JsonNode.Parse(Repository.Read("deploy/grafana/loom-dashboard.json"))!.AsObject();

    private static IEnumerable<string> Queries()
        => _dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]?.AsArray() ?? []).Select(t => (string)t!["expr"]!);

    [Fact]
    public void Dashboard_queries_only_loom_metrics_the_silo_serves_and_shows_every_one()
    {
        string[] used = Queries().SelectMany(MetricNames.In).Distinct().ToArray();
        Assert.Empty(used.Except(MetricNames.All));
        Assert.Empty(MetricNames.All.Except(used));
    }

    [Fact]
    public void Every_panel_has_a_unique_id_and_a_place_and_every_query_a_reference()
    {
        JsonArray panels = _dashboard["panels"]!.AsArray();
        Assert.Equal(panels.Count, panels.Select(p => (long)p!["id"]!).Distinct().Count());
        Assert.All(panels, p => Assert.NotNull(p!["gridPos"]?["w"]));
        Assert.All(panels.Where(p => (string?)p!["type"] != "row"), p => Assert.NotEmpty(p!["targets"]!.AsArray()));
        // Histograms are read as quantiles or as sum/count: never as a raw _bucket series.
        Assert.All(Queries().Where(q => q.Contains("_bucket", StringComparison.Ordinal)), q => Assert.Contains("histogram_quantile", q, StringComparison.Ordinal));
    }

    [Fact]
    public void The_autoscaler_reads_external_metrics_the_adapter_serves_from_loom_gauges()
    {
        JsonObject adapter = Yaml.Document(Repository.Read("deploy/prometheus/adapter-values.yaml"));
        var served = adapter["rules"]!["external"]!.AsArray().ToDictionary(r => (string)r!["name"]!["as"]!, r => (string)r!["seriesQuery"]!);
        Assert.All(served.Values.SelectMany(MetricNames.In), m => Assert.Contains(m, MetricNames.Gauges));

        JsonObject hpa = Assert.Single(Manifests.Committed.OfKind("HorizontalPodAutoscaler"));
        string[] read = hpa["spec"]!["metrics"]!.AsArray().Select(m => (string)m!["external"]!["metric"]!["name"]!).ToArray();
        Assert.Contains("loom_queue_waiting", read);
        Assert.All(read, m => Assert.Contains(m, served.Keys));
        string[] chart = Regex.Matches(HelmChart.Templates["hpa.yaml"], @"name: (loom_\w+)").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(read, chart);
    }
}
