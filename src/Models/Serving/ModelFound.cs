namespace Loom.Models.Serving;

/// <summary>What the models folder holds at one path: a model, or why it is skipped (and whether that deserves a warning).</summary>
/// <param name="Path">The file or folder.</param>
/// <param name="Model">The model; null when skipped.</param>
/// <param name="Problem">Why it is skipped; null for a model.</param>
/// <param name="Warn">True when someone probably meant it to be served (a warning, not a debug line).</param>
public sealed record ModelFound(string Path, ShardModelInfo? Model, string? Problem, bool Warn = true)
{
    /// <summary>True for a folder.</summary>
    public bool IsFolder => Directory.Exists(Path);

    /// <summary>A skipped entry.</summary>
    public static ModelFound Skipped(string path, string problem, bool warn = true) => new(path, null, problem, warn);
}
