using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Deploy.Tests;

/// <summary>The silo pod in k8s/: what it asks of the node, how it is probed, stopped and configured.</summary>
public sealed class SiloPodTests
{
    private static readonly Manifests _k8s = Manifests.Committed;
    private static readonly JsonObject _silo = _k8s.Silo;
    private static readonly JsonObject _container = Manifests.Container(_silo, "silo")!;

    [Fact]
    public void Silos_request_and_limit_whole_gpus_and_go_to_gpu_nodes()
    {
        JsonNode resources = _container["resources"]!;
        long requested = (long)resources["requests"]!["nvidia.com/gpu"]!;
        long limited = (long)resources["limits"]!["nvidia.com/gpu"]!;
        // Kubernetes refuses an extended resource whose request differs from its limit.
        Assert.Equal(limited, requested);
        Assert.True(limited >= 1, "a silo pod must be given at least one GPU");

        JsonObject pod = Manifests.PodSpec(_silo);
        bool selected = pod["nodeSelector"]?.AsObject().Any(l => l.Key.StartsWith("nvidia.com/gpu", StringComparison.Ordinal)) == true;
        bool tolerated = pod["tolerations"]?.AsArray().Any(t => (string?)t!["key"] == "nvidia.com/gpu") == true;
        Assert.True(selected, "silos need a nodeSelector on a nvidia.com/gpu node label");
        Assert.True(tolerated, "GPU nodes are usually tainted nvidia.com/gpu: silos must tolerate it");
    }

    [Fact]
    public void Gpu_silos_run_one_shard_per_gpu_with_threads_from_the_cpu_limit()
    {
        // LOOM__DEVICES=cuda: one shard per GPU the pod is given, and a pod that sees none stops instead of running on CPU.
        Assert.Equal("cuda", _k8s.Env(_container, "LOOM__DEVICES"));
        Assert.Null(_k8s.Env(_container, "LOOM__SHARDS")); // the CPU shard count means nothing to a GPU silo
        long gpus = (long)_container["resources"]!["limits"]!["nvidia.com/gpu"]!;
        double cores = Manifests.Cores(_container["resources"]!["limits"]!["cpu"]);
        Assert.True(cores >= 1, "a silo needs a CPU limit, which bounds the shards' torch threads");
        string? threads = _k8s.Env(_container, "LOOM__THREADSPERSHARD");
        Assert.Equal(Math.Max(1, (long)Math.Floor(cores / gpus)).ToString(CultureInfo.InvariantCulture), threads);
        Assert.Contains("Devices", SiloSettings.OptionNames);
    }

    [Fact]
    public void Probes_are_grpc_health_on_the_port_the_container_declares_and_the_silo_listens_on()
    {
        long declared = Manifests.ContainerPort(_container, "grpc");
        foreach (string probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            JsonNode? grpc = _container[probe]?["grpc"];
            Assert.True(grpc is not null, $"{probe} must be a native grpc probe (grpc.health.v1)");
            Assert.Equal(declared, (long)grpc["port"]!);
        }
        // Readiness is the default health service (NOT_SERVING while draining); liveness must not be, or a drain
        // longer than failureThreshold x periodSeconds gets the pod restarted mid-drain.
        Assert.Null(_container["readinessProbe"]!["grpc"]!["service"]);
        Assert.Equal("liveness", (string?)_container["livenessProbe"]!["grpc"]!["service"]);
        Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), _k8s.Env(_container, "LOOM__GRPCPORT"));
        Assert.Equal(SiloSettings.GrpcPort, declared);
    }

    [Fact]
    public void Grace_period_covers_the_pre_stop_pause_and_the_whole_drain()
    {
        long grace = (long)Manifests.PodSpec(_silo)["terminationGracePeriodSeconds"]!;
        TimeSpan drain = SiloSettings.ParseTimeSpan(_k8s.Env(_container, "LOOM__DRAINTIMEOUT"));
        TimeSpan evaluation = SiloSettings.ParseTimeSpan(_k8s.Env(_container, "LOOM__EVALUATIONTIMEOUT"));
        string[] preStop = _container["lifecycle"]?["preStop"]?["exec"]?["command"]?.AsArray().Select(c => c!.ToString()).ToArray() ?? [];
        double pause = preStop is ["sleep", string seconds] ? double.Parse(seconds, CultureInfo.InvariantCulture) : 0;

        // The kubelet's clock starts at the preStop hook: SIGKILL comes grace seconds later, whatever the drain is doing.
        Assert.True(grace >= pause + drain.TotalSeconds,
            $"terminationGracePeriodSeconds {grace} < preStop {pause} s + drain {drain.TotalSeconds} s: the silo is killed mid-drain");
        // The drain lets in-flight evaluations finish, each bounded by the evaluation timeout.
        Assert.True(drain >= evaluation, $"drain {drain} is shorter than one evaluation may take ({evaluation})");
    }

    [Fact]
    public void The_pod_ip_is_what_the_silo_advertises()
    {
        JsonNode? env = _container["env"]!.AsArray().SingleOrDefault(e => (string)e!["name"]! == "LOOM__ADVERTISEDIP");
        Assert.Equal("status.podIP", (string?)env?["valueFrom"]?["fieldRef"]?["fieldPath"]);
    }

    [Fact]
    public void Api_keys_come_from_a_secret_and_at_least_one_is_required()
    {
        JsonNode[] keys = _container["env"]!.AsArray().Where(e => ((string)e!["name"]!).StartsWith("LOOM__APIKEYS", StringComparison.OrdinalIgnoreCase)).ToArray()!;
        Assert.NotEmpty(keys);
        foreach (JsonNode key in keys)
        {
            Assert.Null(key["value"]);
            JsonNode reference = key["valueFrom"]?["secretKeyRef"] ?? throw new Xunit.Sdk.XunitException($"{key["name"]} must come from a secretKeyRef");
            // Without a key the API binds loopback only and the kubelet's probes never reach it: never optional.
            Assert.NotEqual(true, (bool?)reference["optional"]);
        }
        Assert.DoesNotContain(_k8s.OfKind("ConfigMap"), m => m["data"]?.AsObject().Any(d => d.Key.Contains("APIKEYS", StringComparison.OrdinalIgnoreCase)) == true);
    }

    [Fact]
    public void Models_are_mounted_read_only_from_a_claim_at_the_model_directory()
    {
        string directory = _k8s.Env(_container, "LOOM__MODELDIRECTORY")!;
        JsonNode mount = Assert.Single(_container["volumeMounts"]!.AsArray(), m => (string)m!["mountPath"]! == directory)!;
        Assert.True((bool?)mount["readOnly"] == true, "silos must not write the shared model volume");
        JsonNode volume = Assert.Single(Manifests.PodSpec(_silo)["volumes"]!.AsArray(), v => (string)v!["name"]! == (string)mount["name"]!)!;
        string claim = (string)volume["persistentVolumeClaim"]!["claimName"]!;
        Assert.NotNull(_k8s.Get("PersistentVolumeClaim", claim));
    }

    [Fact]
    public void Prometheus_scrapes_the_port_the_silo_serves_metrics_on()
    {
        long declared = Manifests.ContainerPort(_container, "metrics");
        JsonNode annotations = _silo["spec"]!["template"]!["metadata"]!["annotations"]!;
        Assert.Equal("true", (string?)annotations["prometheus.io/scrape"]);
        Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), (string?)annotations["prometheus.io/port"]);
        Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), _k8s.Env(_container, "LOOM__METRICSPORT"));
    }

    [Fact]
    public void Every_loom_setting_the_manifests_set_names_a_silo_option()
    {
        IEnumerable<string> names = (_container["env"]?.AsArray().Select(e => (string)e!["name"]!) ?? [])
            .Concat(_k8s.OfKind("ConfigMap").SelectMany(m => m["data"]!.AsObject().Select(d => d.Key)))
            .Where(n => n.StartsWith("LOOM__", StringComparison.Ordinal));
        foreach (string name in names)
        {
            // .NET configuration silently ignores an unknown key, so a misspelt setting would never take effect.
            string option = name["LOOM__".Length..].Split("__")[0];
            Assert.True(SiloSettings.OptionNames.Contains(option) || SiloSettings.Pending.Contains(option, StringComparer.OrdinalIgnoreCase),
                $"{name}: the silo has no option '{option}' (LoomHostOptions, LoomApiOptions, LoomTlsOptions, LoomJobOptions, LoomEvaluationOptions, LoomShardOptions, LoomCatalogOptions)");
        }
    }

    [Fact]
    public void Silos_run_as_the_non_root_user_of_the_images()
    {
        JsonNode context = Manifests.PodSpec(_silo)["securityContext"]!;
        Assert.True((bool?)context["runAsNonRoot"] == true);
        Assert.NotEqual(0, (long?)context["runAsUser"] ?? 0);
        Assert.Contains($"ARG APP_UID={context["runAsUser"]}", Repository.Read("deploy/docker/Dockerfile.gpu"), StringComparison.Ordinal);
    }
}
