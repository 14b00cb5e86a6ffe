using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>The chart in helm/loom as files: Chart.yaml and values.yaml parsed, templates as text (they are Go templates, not YAML).</summary>
internal static partial class HelmChart
{
    public const string Folder = "helm/loom";

    public static JsonObject Chart { get; } = Yaml.Document(Repository.Read($"{Folder}/Chart.yaml"));

    public static JsonObject Values { get; } = Yaml.Document(Repository.Read($"{Folder}/values.yaml"));

    public static IReadOnlyDictionary<string, string> Templates { get; } = Directory
        .EnumerateFiles(Repository.PathOf($"{Folder}/templates"))
        .ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

    /// <summary>Every <c>.Values.a.b</c> path a template reads, with the template it is in.</summary>
    public static IEnumerable<(string Template, string Path)> ValueReferences()
        => Templates.SelectMany(t => ValuePath().Matches(t.Value).Select(m => (t.Key, m.Groups[1].Value)));

    /// <summary>The value at a dotted path of values.yaml, or null where there is none.</summary>
    public static JsonNode? Value(string path)
    {
        JsonNode? node = Values;
        foreach (string key in path.Split('.'))
        {
            if (node is not JsonObject map || !map.TryGetPropertyValue(key, out node))
            {
                return null;
            }
        }
        return node;
    }

    public static long Number(string path) => (long)(Value(path) ?? throw new Xunit.Sdk.XunitException($"values.yaml has no {path}"));

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuePath();
}
