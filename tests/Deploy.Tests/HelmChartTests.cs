using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>
/// The chart, as far as it can be checked without helm: its values, the paths its templates read, and the invariants of
/// k8s/ written into its templates. Rendering is checked only where helm is installed.
/// </summary>
public sealed class HelmChartTests
{
    [Fact]
    public void Chart_yaml_names_a_v2_application_chart_with_versions()
    {
        Assert.Equal("v2", (string?)HelmChart.Chart["apiVersion"]);
        Assert.Equal("loom", (string?)HelmChart.Chart["name"]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string?)HelmChart.Chart["version"]);
        Assert.False(string.IsNullOrEmpty((string?)HelmChart.Chart["appVersion"]));
        Assert.Contains("NOTES.txt", HelmChart.Templates.Keys);
        Assert.Contains("_helpers.tpl", HelmChart.Templates.Keys);
    }

    [Fact]
    public void Every_value_a_template_reads_is_in_values_yaml()
    {
        string[] missing = HelmChart.ValueReferences().Where(r => HelmChart.Value(r.Path[1..]) is null)
            .Select(r => $"{r.Template}: .Values{r.Path}").Distinct().ToArray();
        Assert.True(missing.Length == 0, "not in values.yaml: " + string.Join(", ", missing));
    }

    [Fact]
    public void Default_values_give_the_drain_its_time_and_agree_with_k8s()
    {
        long grace = HelmChart.Number("drain.terminationGracePeriodSeconds");
        long drain = HelmChart.Number("drain.timeoutSeconds");
        Assert.True(grace >= HelmChart.Number("drain.preStopSeconds") + drain);
        Assert.True(drain >= HelmChart.Number("evaluationTimeoutSeconds"));

        // The chart and the plain manifests deploy the same silo.
        Manifests k8s = Manifests.Committed;
        JsonObject container = Manifests.Container(k8s.Silo, "silo")!;
        Assert.Equal((long)Manifests.PodSpec(k8s.Silo)["terminationGracePeriodSeconds"]!, grace);
        Assert.Equal(SiloSettings.ParseTimeSpan(k8s.Env(container, "LOOM__DRAINTIMEOUT")).TotalSeconds, drain);
        Assert.Equal(SiloSettings.ParseTimeSpan(k8s.Env(container, "LOOM__EVALUATIONTIMEOUT")).TotalSeconds, HelmChart.Number("evaluationTimeoutSeconds"));
        foreach (string port in new[] { "grpc", "metrics", "silo", "gateway" })
        {
            Assert.Equal(Manifests.ContainerPort(container, port), HelmChart.Number($"ports.{port}"));
        }
        Assert.Equal(SiloSettings.GrpcPort, HelmChart.Number("ports.grpc"));
        Assert.True(HelmChart.Number("gpu.gpusPerPod") >= 1);
        // Same CPU limit, and so the same torch threads per shard (0 in values: derived from the limit, as k8s/ writes it out).
        JsonNode limits = container["resources"]!["limits"]!;
        Assert.Equal(Manifests.Cores(limits["cpu"]), Manifests.Cores(HelmChart.Value("resources.limits.cpu")));
        Assert.Equal(0, HelmChart.Number("threadsPerShard"));
        Assert.Equal(((long)Math.Floor(Manifests.Cores(limits["cpu"]) / HelmChart.Number("gpu.gpusPerPod"))).ToString(CultureInfo.InvariantCulture),
            k8s.Env(container, "LOOM__THREADSPERSHARD"));
    }

    [Fact]
    public void Templates_refuse_a_grace_period_shorter_than_the_drain()
    {
        string silo = HelmChart.Templates["silo-statefulset.yaml"];
        Assert.StartsWith("{{- include \"loom.checkDrain\" . }}", silo, StringComparison.Ordinal);
        Assert.Contains("terminationGracePeriodSeconds: {{ .Values.drain.terminationGracePeriodSeconds }}", silo, StringComparison.Ordinal);
        string helpers = HelmChart.Templates["_helpers.tpl"];
        Assert.Matches(@"if lt \(int \.Values\.drain\.terminationGracePeriodSeconds\) \(int \$need\)", helpers);
        Assert.Contains("$need := add (int .Values.drain.preStopSeconds) (int .Values.drain.timeoutSeconds)", helpers, StringComparison.Ordinal);
        Assert.Contains("LOOM__DRAINTIMEOUT: {{ include \"loom.timespan\" .Values.drain.timeoutSeconds | quote }}", HelmChart.Templates["configmap.yaml"], StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_request_and_limit_the_gpus_and_probe_the_grpc_port()
    {
        string silo = HelmChart.Templates["silo-statefulset.yaml"];
        // Once under requests, once under limits.
        Assert.Equal(2, Regex.Matches(silo, @"nvidia\.com/gpu: \{\{ \.Values\.gpu\.gpusPerPod \}\}").Count);
        // gpu.enabled: CUDA shards, one per GPU; otherwise cpuShards CPU shards. Threads follow the CPU limit either way.
        string config = HelmChart.Templates["configmap.yaml"];
        Assert.Matches(@"\{\{- if \.Values\.gpu\.enabled \}\}\s*\n\s*LOOM__DEVICES: cuda\s*\n\s*\{\{- else \}\}\s*\n\s*LOOM__DEVICES: cpu\s*\n\s*LOOM__SHARDS: \{\{ \.Values\.cpuShards \| quote \}\}", config);
        Assert.Contains("LOOM__THREADSPERSHARD: {{ include \"loom.threadsPerShard\" . | quote }}", config, StringComparison.Ordinal);
        string helpers = HelmChart.Templates["_helpers.tpl"];
        Assert.Contains("ternary .Values.gpu.gpusPerPod .Values.cpuShards .Values.gpu.enabled", helpers, StringComparison.Ordinal);
        Assert.Contains(".Values.resources.limits.cpu", helpers, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Matches(silo, @"grpc:\s*\n\s*port: \{\{ \.Values\.ports\.grpc \}\}").Count);
        Assert.Contains("containerPort: {{ .Values.ports.grpc }}", silo, StringComparison.Ordinal);
        Assert.Contains("LOOM__GRPCPORT: {{ .Values.ports.grpc | quote }}", HelmChart.Templates["configmap.yaml"], StringComparison.Ordinal);
        Assert.Contains("fieldPath: status.podIP", silo, StringComparison.Ordinal);
        Assert.Matches(@"LOOM__APIKEYS__\{\{ \$i \}\}\s*\n\s*valueFrom:\s*\n\s*secretKeyRef:", silo);
    }

    [Fact]
    public void Templates_select_the_silos_by_the_labels_their_pods_carry()
    {
        const string siloLabels = "include \"loom.selectorLabels\" (dict \"ctx\" . \"component\" \"silo\")";
        string silo = HelmChart.Templates["silo-statefulset.yaml"];
        // matchLabels and the pod template's labels come from the same helper.
        Assert.Equal(3, Regex.Matches(silo, Regex.Escape(siloLabels)).Count);
        Assert.Equal(4, Regex.Matches(HelmChart.Templates["services.yaml"], Regex.Escape(siloLabels)).Count);
        Assert.Contains(siloLabels, HelmChart.Templates["pdb.yaml"], StringComparison.Ordinal);
        Assert.Contains("name: {{ include \"loom.fullname\" . }}-silo", HelmChart.Templates["hpa.yaml"], StringComparison.Ordinal);
    }

    [Fact]
    public void Bundled_redis_keeps_an_append_only_file_on_a_volume_and_refuses_writes_before_its_limit()
    {
        string redis = HelmChart.Templates["redis.yaml"];
        Assert.Contains("\"--appendonly\", \"yes\"", redis, StringComparison.Ordinal);
        Assert.Contains("\"--maxmemory-policy\", \"noeviction\"", redis, StringComparison.Ordinal);
        Assert.Contains("\"--dir\", \"/data\"", redis, StringComparison.Ordinal);
        Assert.Matches(@"volumeClaimTemplates:\s*\n\s*- metadata:\s*\n\s*name: data", redis);
        Assert.True(Manifests.Bytes((string)HelmChart.Value("redis.maxmemory")!) < Manifests.Bytes((string)HelmChart.Value("redis.resources.limits.memory")!));
    }

    [Fact]
    public void Tls_mounts_the_certificate_secret_read_only_and_probes_over_http_where_grpc_probes_cannot()
    {
        string silo = HelmChart.Templates["silo-statefulset.yaml"];
        Assert.False((bool)HelmChart.Value("tls.enabled")!); // off unless the operator has a certificate
        Assert.Matches(@"- name: tls\s*\n\s*mountPath: /tls\s*\n\s*readOnly: true", silo);
        Assert.Matches(@"- name: tls\s*\n\s*secret:\s*\n\s*secretName: \{\{ \.Values\.tls\.existingSecret \}\}", silo);
        Assert.Matches(@"LOOM__TLS__CERTIFICATEPATH\s*\n\s*value: /tls/tls\.crt", silo);
        Assert.Matches(@"LOOM__TLS__KEYPATH\s*\n\s*value: /tls/tls\.key", silo);
        // Each probe: HTTP on the metrics port with TLS, gRPC on the API port without.
        Assert.Equal(2, Regex.Matches(silo, @"httpGet:\s*\n\s*path: /healthz/ready\s*\n\s*port: \{\{ \.Values\.ports\.metrics \}\}").Count);
        Assert.Single(Regex.Matches(silo, @"httpGet:\s*\n\s*path: /healthz/live\s*\n\s*port: \{\{ \.Values\.ports\.metrics \}\}"));
        Assert.Equal(3, Regex.Matches(silo, @"\{\{- if \.Values\.tls\.enabled \}\}\s*\n\s*httpGet:").Count);
        // The paths the probes ask are the ones the silo serves.
        string metrics = Repository.Read("src/Silo/LoomMetricsExtensions.cs");
        Assert.Contains("MapHealthChecks(\"/healthz/ready\"", metrics, StringComparison.Ordinal);
        Assert.Contains("MapHealthChecks(\"/healthz/live\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public void Owned_api_keys_carry_their_owner_and_role_numbered_after_the_admin_keys()
    {
        string silo = HelmChart.Templates["silo-statefulset.yaml"];
        Assert.Empty(HelmChart.Value("apiKeys.owned")!.AsArray());
        Assert.Contains("{{- $n := add $admins $i }}", silo, StringComparison.Ordinal);
        Assert.Matches(@"LOOM__APIKEYS__\{\{ \$n \}\}__KEY\s*\n\s*valueFrom:\s*\n\s*secretKeyRef:", silo);
        Assert.Contains("- name: LOOM__APIKEYS__{{ $n }}__OWNER", silo, StringComparison.Ordinal);
        Assert.Contains("value: {{ $owned.role | default \"submitter\" | quote }}", silo, StringComparison.Ordinal);
        // The names the silo binds (Loom:ApiKeys:<n>:Key/Owner/Role).
        string key = Repository.Read("src/Silo/ApiKey.cs");
        Assert.All(new[] { "Key", "Owner", "Role" }, p => Assert.Contains($"public {(p == "Role" ? "ApiKeyRole" : "string")} {p} {{ get; set; }}", key, StringComparison.Ordinal));
    }

    [NeedsToolFact("helm")]
    public void Helm_renders_tls_and_owned_keys()
    {
        (int code, string output, string error) = Tool.Run("helm", "template", "loom", HelmChart.Folder,
            "--set", "tls.enabled=true", "--set", "apiKeys.owned[0].secretKey=alice-key", "--set", "apiKeys.owned[0].owner=alice");
        Assert.True(code == 0, error);
        var rendered = new Manifests(Yaml.Documents(output));
        JsonObject silo = Manifests.Container(rendered.Silo, "silo")!;
        Assert.Equal("/tls/tls.crt", rendered.Env(silo, "LOOM__TLS__CERTIFICATEPATH"));
        Assert.Equal("alice", rendered.Env(silo, "LOOM__APIKEYS__1__OWNER"));
        Assert.Equal("submitter", rendered.Env(silo, "LOOM__APIKEYS__1__ROLE"));
        Assert.Equal("/healthz/ready", (string?)silo["readinessProbe"]!["httpGet"]!["path"]);
    }

    [NeedsToolFact("helm")]
    public void Helm_lints_and_renders_the_chart()
    {
        (int lint, string lintOutput, string lintError) = Tool.Run("helm", "lint", HelmChart.Folder);
        Assert.True(lint == 0, lintOutput + lintError);
        (int render, string output, string error) = Tool.Run("helm", "template", "loom", HelmChart.Folder);
        Assert.True(render == 0, error);
        var rendered = new Manifests(Yaml.Documents(output));
        Assert.Equal(HelmChart.Number("gpu.gpusPerPod"), (long)Manifests.Container(rendered.Silo, "silo")!["resources"]!["limits"]!["nvidia.com/gpu"]!);
        JsonObject gpuSilo = Manifests.Container(rendered.Silo, "silo")!;
        Assert.Equal("cuda", rendered.Env(gpuSilo, "LOOM__DEVICES"));
        Assert.Equal(Manifests.Committed.Env(Manifests.Container(Manifests.Committed.Silo, "silo")!, "LOOM__THREADSPERSHARD"), rendered.Env(gpuSilo, "LOOM__THREADSPERSHARD"));
        (int cpuRender, string cpuOutput, string cpuError) = Tool.Run("helm", "template", "loom", HelmChart.Folder,
            "--set", "gpu.enabled=false", "--set", "cpuShards=3", "--set", "resources.limits.cpu=6500m");
        Assert.True(cpuRender == 0, cpuError);
        var cpu = new Manifests(Yaml.Documents(cpuOutput));
        JsonObject cpuSilo = Manifests.Container(cpu.Silo, "silo")!;
        Assert.Null(cpuSilo["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("cpu", cpu.Env(cpuSilo, "LOOM__DEVICES"));
        Assert.Equal("3", cpu.Env(cpuSilo, "LOOM__SHARDS"));
        Assert.Equal("2", cpu.Env(cpuSilo, "LOOM__THREADSPERSHARD")); // 6.5 cores over 3 shards
        (int refused, _, string reason) = Tool.Run("helm", "template", "loom", HelmChart.Folder, "--set", "drain.terminationGracePeriodSeconds=60");
        Assert.NotEqual(0, refused);
        Assert.Contains("terminationGracePeriodSeconds", reason, StringComparison.Ordinal);
    }
}
