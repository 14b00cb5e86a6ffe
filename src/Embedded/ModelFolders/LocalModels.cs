using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Tiny;
using Loom.Models.Weights;
using Loom.Models.WorldModel;

namespace Loom.Embedded.ModelFolders;

/// <summary>
/// The model folders of this machine, read as the silo's catalog reads them: recognition, the checks that need no
/// weights loaded, the files a hub download needs, and tiny random-weight models for tests and trials.
/// </summary>
public static class LocalModels
{
    /// <summary>The kinds <see cref="MakeTiny"/> writes.</summary>
    public static IReadOnlyList<string> TinyKinds => WanTinyModel.Kinds;

    /// <summary>Recognises <paramref name="directory"/> as a Wan folder; its problems are those recognition found.</summary>
    public static ModelFolder Inspect(string directory) => From(WanModelFolder.Inspect(directory), problems: null);

    /// <summary>
    /// Recognition plus every check that needs no weights loaded (files present and of their size, safetensors headers,
    /// shard indexes, pickles); the result's problems are all of them.
    /// </summary>
    public static ModelFolder Verify(string directory)
    {
        WanModelFolder model = WanModelFolder.Inspect(directory);
        return From(model, WanModelCheck.Run(model));
    }

    /// <summary>Every model under <paramref name="folder"/>: Loom world-model files first, then Wan folders.</summary>
    public static IReadOnlyList<ModelFolder> Scan(string folder)
    {
        var models = new List<ModelFolder>();
        foreach (string file in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            if (WorldModelName(file) is string name)
            {
                models.Add(new ModelFolder(file, name, "loom", "physics", "file", null, [], []) { Bytes = new FileInfo(file).Length });
            }
        }
        models.AddRange(WanModelFolder.Scan(folder).Select(m => From(m, problems: null)));
        return models;
    }

    /// <summary>True when a hub repository's file at <paramref name="path"/> is part of a Wan model (not assets, examples, README).</summary>
    public static bool IsModelFile(string path) => WanModelFiles.IsNeeded(path);

    /// <summary>Writes a tiny random-weight Wan model of <paramref name="kind"/> (one of <see cref="TinyKinds"/>) and verifies it.</summary>
    public static ModelFolder MakeTiny(string directory, string kind, long seed)
    {
        WanTinyModel.Write(directory, kind, seed);
        return Verify(directory);
    }

    private static ModelFolder From(WanModelFolder model, IReadOnlyList<string>? problems) => new(
        model.Directory,
        model.Name,
        model.Family,
        model.Kind,
        model.Layout,
        model.Boundary,
        [.. model.Components.Select(c => new ModelComponent(c.Role, c.Path, c.Files, c.Bytes))],
        problems ?? model.Problems);

    /// <summary>The name the silo serves a world-model file under, or null when the file is not one.</summary>
    private static string? WorldModelName(string path)
    {
        try
        {
            return SafeTensorsHeader.Read(path).Metadata.ContainsKey(WorldModelWeights.ConfigKey)
                ? Path.GetFileName(path).Replace(".safetensors", "", StringComparison.Ordinal).Replace("-world-model", "", StringComparison.Ordinal)
                : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
