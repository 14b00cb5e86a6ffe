namespace Loom.Embedded.ModelFolders;

/// <summary>
/// A model on this machine as <c>loom models</c> shows it: a Wan folder (recognised from its files alone) or a Loom
/// world-model file. Nothing is loaded.
/// </summary>
/// <param name="Directory">The folder (or, for a world model, the file), as given.</param>
/// <param name="Name">The name the silo serves it under.</param>
/// <param name="Family"><c>wan2.1</c>, <c>wan2.2</c> or <c>loom</c>; null when the folder is not recognised.</param>
/// <param name="Kind"><c>t2v</c>, <c>i2v</c>, <c>t2v-a14b</c>, <c>i2v-a14b</c> or <c>physics</c>; null when not recognised.</param>
/// <param name="Layout"><c>official</c>, <c>diffusers</c> or <c>file</c>; null when no layout matches.</param>
/// <param name="Boundary">The expert switch of a two-expert model (t &gt;= Boundary * 1000 runs the high-noise expert).</param>
/// <param name="Components">The components found, complete or not.</param>
/// <param name="Problems">Why the model is not usable, each naming the file at fault; empty when it is.</param>
public sealed record ModelFolder(
    string Directory,
    string Name,
    string? Family,
    string? Kind,
    string? Layout,
    double? Boundary,
    IReadOnlyList<ModelComponent> Components,
    IReadOnlyList<string> Problems)
{
    /// <summary>True when the model is recognised and has no problem.</summary>
    public bool IsModel => Problems.Count == 0 && Kind is not null;

    /// <summary>Size on disk (what loading the model reads).</summary>
    public long Bytes { get; init; } = Components.Sum(c => c.Bytes);
}
