using System.IO.Compression;
using System.Text.Json;
using Loom.Models.Weights;

namespace Loom.Models.Wan.Folders;

/// <summary>
/// The deeper checks of <c>loom models verify</c>, past recognition, still without loading a weight: every safetensors
/// header parses and each tensor fits in the file as it is on disk (a truncated download fails here); every tensor an
/// index names is in the shard it names; every <c>.pth</c> is a PyTorch zip checkpoint with its pickle; every JSON parses.
/// </summary>
public static class WanModelCheck
{
    /// <summary>Checks every file of <paramref name="folder"/>'s components; returns the problems found (recognition's first).</summary>
    public static IReadOnlyList<string> Run(WanModelFolder folder)
    {
        var problems = new List<string>(folder.Problems);
        var headers = new Dictionary<string, SafeTensorsHeader>(StringComparer.Ordinal);
        foreach (string file in folder.Components.SelectMany(c => c.Files).Distinct(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder.Directory, file);
            try
            {
                if (file.EndsWith(".safetensors", StringComparison.Ordinal))
                {
                    headers[file] = SafeTensorsHeader.Read(path);
                }
                else if (file.EndsWith(".pth", StringComparison.Ordinal))
                {
                    CheckPickle(path, file, problems);
                }
                else if (file.EndsWith(".json", StringComparison.Ordinal))
                {
                    using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
                }
            }
            catch (InvalidDataException e)
            {
                problems.Add(e.Message.Replace(path, file, StringComparison.Ordinal));
            }
            catch (JsonException e)
            {
                problems.Add($"{file} is not valid JSON ({e.Message}).");
            }
        }
        foreach (string index in folder.Components.SelectMany(c => c.Files).Where(f => f.EndsWith(".safetensors.index.json", StringComparison.Ordinal)))
        {
            CheckIndex(folder.Directory, index, headers, problems);
        }
        return problems;
    }

    private static void CheckPickle(string path, string file, List<string> problems)
    {
        try
        {
            using ZipArchive zip = ZipFile.OpenRead(path);
            if (!zip.Entries.Any(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl"))
            {
                problems.Add($"{file} is a zip without data.pkl: not a PyTorch checkpoint.");
            }
        }
        catch (InvalidDataException)
        {
            problems.Add($"{file} is not a PyTorch zip checkpoint (truncated, or not torch.save output).");
        }
    }

    private static void CheckIndex(string directory, string index, Dictionary<string, SafeTensorsHeader> headers, List<string> problems)
    {
        string folder = index.Contains('/', StringComparison.Ordinal) ? index[..(index.LastIndexOf('/') + 1)] : "";
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, index)));
        int missing = 0;
        string? first = null;
        foreach (JsonProperty entry in json.RootElement.GetProperty("weight_map").EnumerateObject())
        {
            string shard = folder + entry.Value.GetString();
            if (headers.TryGetValue(shard, out SafeTensorsHeader? header) && !header.Tensors.ContainsKey(entry.Name))
            {
                missing++;
                first ??= $"'{entry.Name}' (in {shard})";
            }
        }
        if (missing > 0)
        {
            problems.Add($"{index} names {missing} tensor(s) their shard does not hold, the first {first}.");
        }
    }
}
