using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Deploy.Tests;

/// <summary>The objects of every manifest in <c>k8s/</c> (kustomization.yaml aside), and the silo pod they describe.</summary>
internal sealed class Manifests
{
    public const string Folder = "k8s";

    public Manifests(IEnumerable<JsonObject> objects) => Objects = objects.ToList();

    public IReadOnlyList<JsonObject> Objects { get; }

    /// <summary>The manifests as committed.</summary>
    public static Manifests Committed { get; } = new(Files().SelectMany(f => Yaml.Documents(File.ReadAllText(f))));

    /// <summary>The YAML files of <c>k8s/</c> that kubectl would apply.</summary>
    public static IEnumerable<string> Files()
        => Directory.EnumerateFiles(Repository.PathOf(Folder), "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal);

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Kind(o) == kind);

    public JsonObject Get(string kind, string name)
        => Assert.Single(OfKind(kind), o => Name(o) == name);

    /// <summary>StatefulSets and Deployments: everything with a pod template.</summary>
    public IEnumerable<JsonObject> Workloads => Objects.Where(o => Kind(o) is "StatefulSet" or "Deployment");

    public JsonObject Silo => Assert.Single(Workloads, w => Container(w, "silo") is not null);

    public JsonObject Redis => Assert.Single(Workloads, w => Container(w, "redis") is not null);

    public static string Kind(JsonObject o) => (string)o["kind"]!;

    public static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;

    public static JsonObject PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static JsonObject PodLabels(JsonObject workload) => workload["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

    public static JsonObject? Container(JsonObject workload, string name)
        => PodSpec(workload)["containers"]!.AsArray().Select(c => c!.AsObject()).SingleOrDefault(c => (string)c["name"]! == name);

    public static long ContainerPort(JsonObject container, string name)
        => (long)Assert.Single(container["ports"]!.AsArray(), p => (string)p!["name"]! == name)!["containerPort"]!;

    /// <summary>The value a container's environment variable ends up with: its own <c>value</c>, else the ConfigMaps it takes with <c>envFrom</c>; null when unset or set from a source (valueFrom).</summary>
    public string? Env(JsonObject container, string name)
    {
        JsonNode? own = container["env"]?.AsArray().SingleOrDefault(e => (string)e!["name"]! == name);
        if (own is not null)
        {
            return own["value"]?.ToString();
        }
        foreach (JsonNode? from in container["envFrom"]?.AsArray() ?? [])
        {
            string? map = (string?)from!["configMapRef"]?["name"];
            if (map is not null && Get("ConfigMap", map)["data"]?[name] is JsonNode value)
            {
                return value.ToString();
            }
        }
        return null;
    }

    /// <summary>True when every label of <paramref name="selector"/> is on <paramref name="labels"/> with the same value.</summary>
    public static bool Selects(JsonObject selector, JsonObject labels)
        => selector.Count > 0 && selector.All(s => labels[s.Key]?.ToString() == s.Value?.ToString());

    /// <summary>A Kubernetes CPU quantity ("4", 4, "2500m") in cores; 0 where none is given.</summary>
    public static double Cores(JsonNode? quantity)
    {
        string text = quantity?.ToString() ?? "";
        return text.Length == 0 ? 0
            : text.EndsWith('m') ? double.Parse(text[..^1], CultureInfo.InvariantCulture) / 1000
            : double.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>A Kubernetes quantity (8Gi, 512Mi) or a Redis size (6gb, 512mb) in bytes; both units are powers of 1024.</summary>
    public static long Bytes(string size)
    {
        string unit = new(size.SkipWhile(char.IsAsciiDigit).ToArray());
        long number = long.Parse(size[..^unit.Length], CultureInfo.InvariantCulture);
        return number * unit.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "ki" or "kb" => 1L << 10,
            "mi" or "mb" => 1L << 20,
            "gi" or "gb" => 1L << 30,
            _ => throw new FormatException($"unknown size unit in '{size}'"),
        };
    }
}
