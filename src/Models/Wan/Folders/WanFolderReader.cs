using System.Text;
using System.Text.Json;

namespace Loom.Models.Wan.Folders;

/// <summary>
/// What one inspection of a model folder collects: the components found and every reason the folder is not (yet) a
/// complete model, each naming the file at fault. Paths are relative to the folder and '/' separated.
/// </summary>
internal sealed class WanFolderReader(string root)
{
    /// <summary>The first bytes of a Git LFS pointer: what a clone without <c>git lfs</c> leaves instead of weights.</summary>
    private static readonly byte[] _lfsPointer = Encoding.ASCII.GetBytes("version https://git-lfs");

    public string Root { get; } = root;

    public List<string> Problems { get; } = [];

    public List<WanComponent> Components { get; } = [];

    public string Full(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public bool FileExists(string relative) => File.Exists(Full(relative));

    public bool FolderExists(string relative) => Directory.Exists(Full(relative));

    /// <summary>Parses a JSON file; a missing or malformed one is a problem (when <paramref name="required"/>) and null.</summary>
    public JsonElement? Json(string relative, string why, bool required = true)
    {
        if (!FileExists(relative))
        {
            if (required)
            {
                Problems.Add($"{relative} is missing ({why}).");
            }
            return null;
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Full(relative)));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                Problems.Add($"{relative} is not a JSON object.");
                return null;
            }
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            Problems.Add($"{relative} is not valid JSON ({e.Message}).");
            return null;
        }
    }

    /// <summary>A component that is one file.</summary>
    public void OneFile(string role, string relative, string why)
    {
        if (!FileExists(relative))
        {
            Problems.Add($"{relative} is missing ({why}).");
            return;
        }
        CheckContent(relative);
        Components.Add(new WanComponent(role, Full(relative), [relative], Size(relative)));
    }

    /// <summary>
    /// A component stored as safetensors in <paramref name="folder"/> ("" for the top): <c>{stem}.safetensors</c>, or
    /// the shards that <c>{stem}.safetensors.index.json</c> names, every one of which must be there.
    /// </summary>
    public void Weights(string role, string folder, string stem, string why, params string[] extra)
    {
        string Rel(string name) => folder.Length == 0 ? name : $"{folder}/{name}";
        var files = new List<string>();
        foreach (string name in extra)
        {
            if (FileExists(Rel(name)))
            {
                files.Add(Rel(name));
            }
        }
        string index = Rel($"{stem}.safetensors.index.json");
        string single = Rel($"{stem}.safetensors");
        if (FileExists(index))
        {
            files.Add(index);
            JsonElement? json = Json(index, why);
            if (json is null)
            {
                return;
            }
            if (!json.Value.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                Problems.Add($"{index} has no weight_map.");
                return;
            }
            var shards = map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (shards.Count == 0)
            {
                Problems.Add($"{index} names no tensors.");
            }
            foreach (string shard in shards)
            {
                string relative = Rel(shard);
                if (shard.Length == 0 || shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal))
                {
                    Problems.Add($"{index} names a shard '{shard}' outside its folder.");
                }
                else if (!FileExists(relative))
                {
                    Problems.Add($"{relative} is missing (a shard named by {index}).");
                }
                else
                {
                    CheckContent(relative);
                    files.Add(relative);
                }
            }
        }
        else if (FileExists(single))
        {
            CheckContent(single);
            files.Add(single);
        }
        else
        {
            Problems.Add($"{single} (or {stem}.safetensors.index.json with its shards) is missing ({why}).");
            return;
        }
        Components.Add(new WanComponent(role, folder.Length == 0 ? Full(single) : Full(folder), files, files.Sum(Size)));
    }

    /// <summary>A component that is a folder of small files, at least one of <paramref name="anyOf"/> among them.</summary>
    public void Folder(string role, string folder, string why, params string[] anyOf)
    {
        if (!FolderExists(folder))
        {
            Problems.Add($"{folder}/ is missing ({why}).");
            return;
        }
        if (!anyOf.Any(name => FileExists($"{folder}/{name}")))
        {
            Problems.Add($"{folder}/ holds none of {string.Join(", ", anyOf)} ({why}).");
            return;
        }
        List<string> files = [.. Directory.EnumerateFiles(Full(folder)).Select(f => $"{folder}/{Path.GetFileName(f)}").Order(StringComparer.Ordinal)];
        foreach (string file in files)
        {
            CheckContent(file);
        }
        Components.Add(new WanComponent(role, Full(folder), files, files.Sum(Size)));
    }

    /// <summary>Unfinished downloads anywhere in the folder make it incomplete, whatever else is there.</summary>
    public void CheckUnfinished()
    {
        foreach (string path in Directory.EnumerateFiles(Root, "*.incomplete", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            Problems.Add($"{Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/')} is an unfinished download (run loom models pull again to resume it).");
        }
    }

    private long Size(string relative) => new FileInfo(Full(relative)).Length;

    private void CheckContent(string relative)
    {
        if (!relative.EndsWith(".safetensors", StringComparison.Ordinal) && !relative.EndsWith(".pth", StringComparison.Ordinal) && !relative.EndsWith(".model", StringComparison.Ordinal))
        {
            return;
        }
        long size = Size(relative);
        if (size == 0)
        {
            Problems.Add($"{relative} is empty.");
            return;
        }
        if (size < 1024)
        {
            byte[] head = new byte[Math.Min(_lfsPointer.Length, (int)size)];
            using FileStream stream = File.OpenRead(Full(relative));
            stream.ReadExactly(head);
            if (head.AsSpan().SequenceEqual(_lfsPointer))
            {
                Problems.Add($"{relative} is a Git LFS pointer, not the file itself (clone with git lfs, or use loom models pull).");
            }
        }
    }
}
