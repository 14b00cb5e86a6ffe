using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>
/// The chart and k8s/ point the silos' result store at a shared folder or an S3-compatible object store (never Redis),
/// with every LOOM__RESULTS__* key naming a real option, and refuse an s3 store without a bucket.
/// </summary>
public sealed partial class ResultStoreChartTests
{
    private static readonly IReadOnlySet<string> Results = SiloSettings.PropertiesOf(SiloSettings.ResultsOptionsFile);
    private static readonly IReadOnlySet<string> S3 = SiloSettings.PropertiesOf("src/Grains/Storage/LoomS3Options.cs");

    [Fact]
    public void Every_results_setting_of_the_chart_and_k8s_names_an_option_and_s3_sets_them_all()
    {
        string config = HelmChart.Templates["configmap.yaml"], silo = HelmChart.Templates["silo-statefulset.yaml"];
        string k8s = Repository.Read("k8s/config.yaml");
        string[] keys = ResultsKey().Matches(config + silo + k8s).Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.NotEmpty(keys);
        foreach (string key in keys)
        {
            string[] parts = key.Split("__");
            bool known = parts is ["S3", var s3Option] ? S3.Contains(s3Option) : parts.Length == 1 && Results.Contains(parts[0]);
            Assert.True(known, $"LOOM__RESULTS__{key} names no property of LoomResultsOptions / LoomS3Options");
        }
        // With store: s3 every S3 setting is wired: the plain ones from values, the credentials from a Secret.
        foreach (string option in S3)
        {
            string name = $"LOOM__RESULTS__S3__{option.ToUpperInvariant()}";
            Assert.True(option is "AccessKey" or "SecretKey" ? silo.Contains($"- name: {name}", StringComparison.Ordinal) : config.Contains($"{name}:", StringComparison.Ordinal),
                $"the chart does not set {name}");
            Assert.True(option is "AccessKey" or "SecretKey" || HelmChart.Value($"results.s3.{char.ToLowerInvariant(option[0])}{option[1..]}") is not null,
                $"values.yaml has no results.s3 value for {option}");
        }
        Assert.Equal("files", (string?)HelmChart.Value("results.store"));
        Assert.Equal(168, HelmChart.Number("results.retentionHours")); // the silo's default, 7 days
        Assert.Contains("LOOM__RESULTS__RETENTION: \"7.00:00:00\"", k8s, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chart_refuses_an_s3_store_without_a_bucket_and_k8s_shares_one_results_folder()
    {
        string helpers = HelmChart.Templates["_helpers.tpl"];
        Assert.Contains("{{- if and (eq .Values.results.store \"s3\") (empty .Values.results.s3.bucket) -}}", helpers, StringComparison.Ordinal);
        Assert.Contains("{{- include \"loom.checkResults\" . }}", HelmChart.Templates["configmap.yaml"], StringComparison.Ordinal);
        // k8s/: every silo mounts the one ReadWriteMany claim where the results are.
        Manifests k8s = Manifests.Committed;
        JsonObject container = Manifests.Container(k8s.Silo, "silo")!;
        Assert.Equal("/results", k8s.Env(container, "LOOM__RESULTS__DIRECTORY"));
        Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/results" && (string?)m["name"] == "results");
        Assert.Contains(Manifests.PodSpec(k8s.Silo)["volumes"]!.AsArray(), v => (string?)v!["persistentVolumeClaim"]?["claimName"] == "loom-results");
        Assert.Contains("ReadWriteMany", Repository.Read("k8s/results-pvc.yaml"), StringComparison.Ordinal);
    }

    [NeedsToolFact("helm")]
    public void Helm_renders_an_s3_result_store_with_its_secret()
    {
        (int render, string output, string error) = Tool.Run("helm", "template", "loom", HelmChart.Folder,
            "--set", "results.store=s3", "--set", "results.s3.bucket=videos", "--set", "results.s3.serviceUrl=http://minio:9000",
            "--set", "results.s3.existingSecret=loom-s3", "--set", "results.retentionHours=36");
        Assert.True(render == 0, error);
        var rendered = new Manifests(Yaml.Documents(output));
        JsonObject silo = Manifests.Container(rendered.Silo, "silo")!;
        Assert.Equal("s3", rendered.Env(silo, "LOOM__RESULTS__STORE"));
        Assert.Equal("videos", rendered.Env(silo, "LOOM__RESULTS__S3__BUCKET"));
        Assert.Equal("http://minio:9000", rendered.Env(silo, "LOOM__RESULTS__S3__SERVICEURL"));
        Assert.Equal("1.12:00:00", rendered.Env(silo, "LOOM__RESULTS__RETENTION"));
        Assert.Contains("loom-s3", output, StringComparison.Ordinal);
        (int refused, _, string reason) = Tool.Run("helm", "template", "loom", HelmChart.Folder, "--set", "results.store=s3");
        Assert.NotEqual(0, refused);
        Assert.Contains("results.s3.bucket", reason, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"LOOM__RESULTS__([A-Z0-9_]+)")]
    private static partial Regex ResultsKey();
}
