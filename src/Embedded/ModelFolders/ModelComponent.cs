namespace Loom.Embedded.ModelFolders;

/// <summary>One component of a model folder (transformer, VAE, text encoder, tokenizer).</summary>
/// <param name="Role">What the component is.</param>
/// <param name="Path">Where it lives, relative to the model folder.</param>
/// <param name="Files">Its files, relative to the model folder.</param>
/// <param name="Bytes">Their total size.</param>
public sealed record ModelComponent(string Role, string Path, IReadOnlyList<string> Files, long Bytes);
