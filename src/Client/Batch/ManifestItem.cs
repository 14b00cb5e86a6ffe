using Loom.Protos.V1;

namespace Loom.Client.Batch;

/// <summary>
/// One line of a batch manifest: the job it asks for, or why it cannot be one.
/// </summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Id">Item id: the <c>id</c> field, else <c>line-N</c>; names its output files.</param>
/// <param name="Spec">The spec with exactly the line's fields set (conditioning is added once the model is known).</param>
/// <param name="Scene">Held-out test scene whose first frames are given, or null.</param>
/// <param name="Given">Image files given as the first frames (relative to the manifest), or empty.</param>
/// <param name="Error">Why the line is not a job, or null.</param>
/// <param name="Field">The field at fault, or null.</param>
internal sealed record ManifestItem(int Line, string Id, JobSpec Spec, int? Scene, IReadOnlyList<string> Given, string? Error, string? Field)
{
    /// <summary>True when the line could be read as a job.</summary>
    public bool IsValid => Error is null;

    /// <summary>Where the first frames come from, for the sidecar.</summary>
    public string? Source => Scene is int s ? $"test scene {s}" : Given.Count > 0 ? string.Join(" ", Given) : null;
}
