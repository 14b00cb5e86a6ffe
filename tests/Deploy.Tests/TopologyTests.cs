using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Deploy.Tests;

/// <summary>How the objects of k8s/ refer to each other: selectors, Services, Redis, the autoscaler, the kustomization.</summary>
public sealed class TopologyTests
{
    private static readonly Manifests _k8s = Manifests.Committed;

    [Fact]
    public void Every_service_and_disruption_budget_selects_the_pods_of_exactly_one_workload()
    {
        foreach (JsonObject workload in _k8s.Workloads)
        {
            Assert.True(Manifests.Selects(workload["spec"]!["selector"]!["matchLabels"]!.AsObject(), Manifests.PodLabels(workload)),
                $"{Manifests.Name(workload)}: its selector does not match its own pod template");
        }
        var selectors = _k8s.OfKind("Service").Select(s => (Manifests.Name(s), s["spec"]!["selector"]!.AsObject()))
            .Concat(_k8s.OfKind("PodDisruptionBudget").Select(p => (Manifests.Name(p), p["spec"]!["selector"]!["matchLabels"]!.AsObject())));
        foreach ((string name, JsonObject selector) in selectors)
        {
            Assert.True(_k8s.Workloads.Count(w => Manifests.Selects(selector, Manifests.PodLabels(w))) == 1,
                $"{name}: its selector must match the pod template of exactly one workload");
        }
        Assert.Contains(_k8s.OfKind("PodDisruptionBudget"), p => Manifests.Selects(p["spec"]!["selector"]!["matchLabels"]!.AsObject(), Manifests.PodLabels(_k8s.Silo)));
    }

    [Fact]
    public void The_autoscaler_scales_the_silos_and_removes_one_at_a_time_after_its_drain()
    {
        JsonObject hpa = Assert.Single(_k8s.OfKind("HorizontalPodAutoscaler"));
        JsonNode target = hpa["spec"]!["scaleTargetRef"]!;
        Assert.Equal((Manifests.Kind(_k8s.Silo), Manifests.Name(_k8s.Silo)), ((string)target["kind"]!, (string)target["name"]!));

        long grace = (long)Manifests.PodSpec(_k8s.Silo)["terminationGracePeriodSeconds"]!;
        JsonNode down = hpa["spec"]!["behavior"]!["scaleDown"]!;
        Assert.True((long)down["stabilizationWindowSeconds"]! >= 300, "scale-down must wait out short lulls in the queue");
        foreach (JsonNode? policy in down["policies"]!.AsArray())
        {
            // One silo per period, and a period no shorter than a drain: the next silo leaves only after the last one is gone.
            Assert.Equal("Pods", (string)policy!["type"]!);
            Assert.Equal(1, (long)policy["value"]!);
            Assert.True((long)policy["periodSeconds"]! >= grace, $"scale-down period {policy["periodSeconds"]} s is shorter than a drain ({grace} s)");
        }
    }

    [Fact]
    public void The_headless_service_exposes_the_silo_and_gateway_ports_of_every_silo()
    {
        JsonObject container = Manifests.Container(_k8s.Silo, "silo")!;
        JsonObject headless = Assert.Single(_k8s.OfKind("Service"), s => (string?)s["spec"]!["clusterIP"] == "None" && Manifests.Selects(s["spec"]!["selector"]!.AsObject(), Manifests.PodLabels(_k8s.Silo)));
        Assert.Equal(Manifests.Name(headless), (string)_k8s.Silo["spec"]!["serviceName"]!);
        Assert.True((bool?)headless["spec"]!["publishNotReadyAddresses"] == true, "a joining silo must be reachable before it is ready");
        foreach ((string port, string setting) in new[] { ("silo", "LOOM__SILOPORT"), ("gateway", "LOOM__GATEWAYPORT") })
        {
            long declared = Manifests.ContainerPort(container, port);
            Assert.Equal(declared.ToString(CultureInfo.InvariantCulture), _k8s.Env(container, setting));
            JsonNode exposed = Assert.Single(headless["spec"]!["ports"]!.AsArray(), p => (string?)p!["targetPort"] == port)!;
            Assert.Equal(declared, (long)exposed["port"]!);
        }
    }

    [Fact]
    public void The_grpc_service_serves_the_containers_grpc_port_as_http2()
    {
        JsonObject container = Manifests.Container(_k8s.Silo, "silo")!;
        JsonObject service = Assert.Single(_k8s.OfKind("Service"), s => s["spec"]!["ports"]!.AsArray().Any(p => (string?)p!["targetPort"] == "grpc"));
        Assert.Null(service["spec"]!["clusterIP"]);
        JsonNode port = Assert.Single(service["spec"]!["ports"]!.AsArray())!;
        Assert.Equal(Manifests.ContainerPort(container, "grpc"), (long)port["port"]!);
        Assert.Equal("kubernetes.io/h2c", (string?)port["appProtocol"]);
    }

    [Fact]
    public void Redis_keeps_an_append_only_file_on_a_persistent_volume_and_never_evicts()
    {
        JsonObject redis = _k8s.Redis;
        string[] args = Manifests.Container(redis, "redis")!["args"]!.AsArray().Select(a => a!.ToString()).ToArray();
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        Assert.Equal("yes", Arg("--appendonly"));
        // Grain state and checkpoints live here: eviction would silently forget jobs.
        Assert.Equal("noeviction", Arg("--maxmemory-policy"));
        // Redis must refuse writes before the kernel kills it: an OOM-killed Redis replays its AOF into the same limit.
        long limit = Manifests.Bytes((string)Manifests.Container(redis, "redis")!["resources"]!["limits"]!["memory"]!);
        Assert.True(Manifests.Bytes(Arg("--maxmemory")) < limit, $"--maxmemory {Arg("--maxmemory")} must stay under the memory limit");

        JsonNode mount = Assert.Single(Manifests.Container(redis, "redis")!["volumeMounts"]!.AsArray(), m => (string)m!["mountPath"]! == Arg("--dir"))!;
        Assert.Contains(redis["spec"]!["volumeClaimTemplates"]!.AsArray(), c => (string)c!["metadata"]!["name"]! == (string)mount["name"]!);

        // The silos' connection string points at the Redis Service and its port.
        string connection = _k8s.Env(Manifests.Container(_k8s.Silo, "silo")!, "LOOM__REDIS")!;
        JsonObject service = Assert.Single(_k8s.OfKind("Service"), s => Manifests.Selects(s["spec"]!["selector"]!.AsObject(), Manifests.PodLabels(redis)));
        Assert.StartsWith($"{Manifests.Name(service)}:{service["spec"]!["ports"]![0]!["port"]}", connection, StringComparison.Ordinal);
    }

    [Fact]
    public void No_secret_values_are_committed()
    {
        Assert.Empty(_k8s.OfKind("Secret"));
        Assert.DoesNotContain(Directory.EnumerateFiles(Repository.PathOf("helm"), "*", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("kind: Secret", StringComparison.Ordinal));
    }

    [Fact]
    public void The_kustomization_lists_every_manifest_and_nothing_else()
    {
        JsonObject kustomization = Yaml.Document(Repository.Read($"{Manifests.Folder}/kustomization.yaml"));
        string[] listed = kustomization["resources"]!.AsArray().Select(r => r!.ToString()).Order(StringComparer.Ordinal).ToArray();
        string[] files = Manifests.Files().Select(f => Path.GetRelativePath(Repository.PathOf(Manifests.Folder), f)).ToArray();
        Assert.Equal(files, listed);
        Assert.All(_k8s.Objects.Where(o => Manifests.Kind(o) != "Namespace"), o => Assert.Equal((string)kustomization["namespace"]!, (string?)o["metadata"]!["namespace"]));
    }
}
