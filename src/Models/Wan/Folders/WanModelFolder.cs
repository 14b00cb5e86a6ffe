namespace Loom.Models.Wan.Folders;

/// <summary>
/// A folder recognised (or not) as a Wan model from its files alone: which model it is, where each component lives,
/// how much disk it takes, and every reason it cannot be used yet. Nothing is loaded; file contents read are the small
/// JSON configs and indexes and the first bytes of weight files (to tell a Git LFS pointer from weights).
/// </summary>
/// <param name="Directory">The folder, as given.</param>
/// <param name="Name">The folder's name: how <c>loom models verify NAME</c> and the silo name the model.</param>
/// <param name="Family"><c>wan2.1</c> or <c>wan2.2</c>; null when the folder is not recognised.</param>
/// <param name="Kind">One of <see cref="WanKind"/>; null when the folder is not recognised.</param>
/// <param name="Layout">One of <see cref="WanLayout"/>; null when neither layout matches.</param>
/// <param name="Boundary">The expert switch of a two-expert model (t &gt;= Boundary * 1000 runs the high-noise expert).</param>
/// <param name="Components">The components found, complete or not.</param>
/// <param name="Problems">Why the folder is not a usable model, each naming the file at fault; empty when it is.</param>
public sealed record WanModelFolder(
    string Directory,
    string Name,
    string? Family,
    string? Kind,
    string? Layout,
    double? Boundary,
    IReadOnlyList<WanComponent> Components,
    IReadOnlyList<string> Problems)
{
    /// <summary>True when every component the kind needs is there.</summary>
    public bool IsModel => Problems.Count == 0 && Kind is not null;

    /// <summary>The components' total size on disk (what loading the model reads).</summary>
    public long Bytes => Components.Sum(c => c.Bytes);

    /// <summary>The component with <paramref name="role"/>, if found.</summary>
    public WanComponent? Component(string role) => Components.FirstOrDefault(c => c.Role == role);

    /// <summary>Recognises <paramref name="directory"/>.</summary>
    public static WanModelFolder Inspect(string directory)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        if (!System.IO.Directory.Exists(directory))
        {
            return new WanModelFolder(directory, name, null, null, null, null, [], [$"{directory} is not a folder."]);
        }
        var reader = new WanFolderReader(directory);
        string? family = null, kind = null, layout = null;
        double? boundary = null;
        if (DiffusersLayout.Matches(reader))
        {
            layout = WanLayout.Diffusers;
            (family, kind, boundary) = DiffusersLayout.Read(reader);
        }
        else if (OfficialLayout.Matches(reader))
        {
            layout = WanLayout.Official;
            (family, kind) = OfficialLayout.Read(reader);
        }
        else
        {
            reader.Problems.Add(WanModelFiles.Looks(directory)
                ? "holds Wan files but neither config.json (the official layout) nor model_index.json (the Diffusers layout)."
                : "no config.json (the official Wan layout) or model_index.json (the Diffusers layout): not a Wan model folder.");
        }
        reader.CheckUnfinished();
        boundary ??= kind is null ? null : WanKind.DefaultBoundary(kind);
        return new WanModelFolder(directory, name, family, kind, layout, boundary, reader.Components, reader.Problems);
    }

    /// <summary>Inspects every folder directly inside <paramref name="modelsDirectory"/>, in name order.</summary>
    public static IReadOnlyList<WanModelFolder> Scan(string modelsDirectory)
        => System.IO.Directory.Exists(modelsDirectory)
            ? [.. System.IO.Directory.EnumerateDirectories(modelsDirectory).Order(StringComparer.Ordinal).Select(Inspect)]
            : [];
}
