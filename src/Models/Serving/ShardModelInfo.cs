namespace Loom.Models.Serving;

/// <summary>
/// A model a shard can host, as its files describe it before it is loaded.
/// </summary>
/// <param name="Name">What jobs call it (the file or folder name in the models folder).</param>
/// <param name="Family">The <see cref="IModelFamily.Name"/> that opens it.</param>
/// <param name="Path">Its file or folder.</param>
/// <param name="Summary">One line for the silo's log: what it is, size, shape.</param>
/// <param name="Sha256">Identity of its weights (the file's SHA-256 for a single file; see the family for folders).</param>
/// <param name="FileBytes">Bytes on disk that loading reads.</param>
/// <param name="Latent">The latent it works on.</param>
/// <param name="Conditioning">The conditioning tensors it reads.</param>
/// <param name="Memory">What its weights take on a device.</param>
public sealed record ShardModelInfo(
    string Name,
    string Family,
    string Path,
    string Summary,
    string Sha256,
    long FileBytes,
    LatentLayout Latent,
    IReadOnlyList<ConditioningSlot> Conditioning,
    ModelMemory Memory)
{
    /// <summary>True when windows need a text prompt's embedding.</summary>
    public bool TextConditioned => Conditioning.Any(c => c.Name == ConditioningNames.Prompt);
}
