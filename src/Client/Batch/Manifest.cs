using System.Text.Json;
using System.Text.RegularExpressions;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Batch;

/// <summary>
/// A JSONL batch manifest: one JSON object per line with the render options' names in snake_case (<c>id</c>,
/// <c>seed</c>, <c>scene</c> or <c>given</c>, <c>frames</c>, <c>steps</c>, <c>plan</c>, <c>tau</c>, ...). Blank lines and
/// lines starting with <c>#</c> are skipped. A bad line becomes an item with its error; it never stops the others.
/// </summary>
internal static partial class Manifest
{
    /// <summary>Every field a line may have.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "id", "model", "frames", "steps", "shift", "guidance", "plan", "tau", "window_length", "window_overlap", "join", "blend",
        "seed", "priority", "exact", "wire", "checkpoint_every", "prompt", "scene", "given",
    ];

    /// <summary>Reads the manifest at <paramref name="path"/>; <c>given</c> paths are resolved against its folder.</summary>
    public static IReadOnlyList<ManifestItem> Read(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var items = new List<ManifestItem>();
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string text = lines[i].Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }
            items.Add(Parse(i + 1, text, folder));
        }
        return Unique(items);
    }

    /// <summary><paramref name="items"/> with each valid item whose id an earlier one has made invalid (field <c>id</c>).</summary>
    public static IReadOnlyList<ManifestItem> Unique(IReadOnlyList<ManifestItem> items)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        return [.. items.Select(item => item.IsValid && !ids.Add(item.Id) ? item with { Error = $"id: '{item.Id}' is used by an earlier line.", Field = "id" } : item)];
    }

    /// <summary>Parses line <paramref name="line"/>.</summary>
    public static ManifestItem Parse(int line, string text, string folder)
    {
        var spec = new JobSpec();
        string id = $"line-{line}";
        int? scene = null;
        var given = new List<string>();
        ManifestItem Bad(string field, string message) => new(line, id, spec, null, [], $"{field}: {message}", field);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return Bad("json", $"not a JSON object ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Bad("json", $"expected a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }
            foreach (JsonProperty p in document.RootElement.EnumerateObject())
            {
                JsonElement v = p.Value;
                string? problem = p.Name switch
                {
                    "id" => String(v, s =>
                    {
                        if (!IdPattern().IsMatch(s))
                        {
                            return "must be 1-64 of A-Z a-z 0-9 . _ -, not starting with a dot (it names the output files).";
                        }
                        id = s;
                        return null;
                    }),
                    "model" => String(v, s => Set(() => spec.Model = s)),
                    "frames" => Int(v, n => spec.Frames = n),
                    "steps" => Int(v, n => spec.Steps = n),
                    "shift" => Number(v, x => spec.Shift = x),
                    "guidance" => Number(v, x => spec.Guidance = x),
                    "plan" => String(v, s => Set(() => spec.Plan = s)),
                    "tau" => Number(v, x => spec.Tau = x),
                    "window_length" => Int(v, n => spec.WindowLength = n),
                    "window_overlap" => Int(v, n => spec.WindowOverlap = n),
                    "join" => String(v, s => SpecNames.Joins.TryGetValue(s, out WindowJoin j) ? Set(() => spec.Join = j) : $"unknown join '{s}'; one of {string.Join(", ", SpecNames.Joins.Keys)}."),
                    "blend" => String(v, s => SpecNames.Blends.TryGetValue(s, out WindowBlend b) ? Set(() => spec.Blend = b) : $"unknown blend '{s}'; one of {string.Join(", ", SpecNames.Blends.Keys)}."),
                    "seed" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long seed) ? Set(() => spec.Seed = seed) : $"expected an integer, got {v.GetRawText()}.",
                    "priority" => Int(v, n => spec.Priority = n),
                    "exact" => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? Set(() => spec.Exact = v.GetBoolean()) : $"expected true or false, got {v.GetRawText()}.",
                    "wire" => String(v, s => SpecNames.Wires.TryGetValue(s, out WirePrecision w) ? Set(() => spec.Wire = w) : $"unknown wire precision '{s}'; one of {string.Join(", ", SpecNames.Wires.Keys)}."),
                    "checkpoint_every" => Int(v, n => spec.CheckpointEvery = n),
                    "prompt" => String(v, s => Set(() => spec.Prompt = s)),
                    "negative_prompt" => String(v, s => Set(() => spec.NegativePrompt = s)),
                    "guidance_low_noise" => Number(v, x => spec.GuidanceLowNoise = x),
                    "scene" => Int(v, n => scene = n),
                    "given" => Paths(v, folder, given),
                    _ => $"unknown field; known: {string.Join(", ", Fields)}.",
                };
                if (problem is not null)
                {
                    return Bad(p.Name, problem);
                }
            }
        }
        if (scene is not null && given.Count > 0)
        {
            return Bad("given", "scene and given both give the first frames; pick one.");
        }
        return new ManifestItem(line, id, spec, scene, given, null, null);
    }

    private static string? Set(Action set)
    {
        set();
        return null;
    }

    private static string? String(JsonElement v, Func<string, string?> use)
        => v.ValueKind == JsonValueKind.String ? use(v.GetString()!) : $"expected a string, got {v.GetRawText()}.";

    private static string? Int(JsonElement v, Action<int> use)
        => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? Set(() => use(n)) : $"expected an integer, got {v.GetRawText()}.";

    private static string? Number(JsonElement v, Action<double> use)
        => v.ValueKind == JsonValueKind.Number ? Set(() => use(v.GetDouble())) : $"expected a number, got {v.GetRawText()}.";

    private static string? Paths(JsonElement v, string folder, List<string> paths)
    {
        IEnumerable<JsonElement> elements = v.ValueKind switch
        {
            JsonValueKind.Array => v.EnumerateArray(),
            JsonValueKind.String => [v],
            _ => [],
        };
        foreach (JsonElement e in elements)
        {
            if (e.ValueKind != JsonValueKind.String)
            {
                return $"expected image paths, got {e.GetRawText()}.";
            }
            paths.Add(Path.GetFullPath(e.GetString()!, folder));
        }
        return paths.Count > 0 ? null : $"expected one or more image paths, got {v.GetRawText()}.";
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}
