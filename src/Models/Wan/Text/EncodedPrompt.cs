using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>A prompt's embedding as the transformer takes it: the rows of the valid tokens only (eos included).</summary>
/// <param name="Key">What the embedding is a function of; <see cref="TextEmbeddingKey.ContentHash"/> names it.</param>
/// <param name="Embedding">[Length, dim] on the CPU, in the encoder's dtype; the caller owns it.</param>
/// <param name="Warning">Null, or why the prompt was cut to the text length.</param>
/// <param name="FromCache">Answered by the cache, not by running the encoder.</param>
public sealed record EncodedPrompt(TextEmbeddingKey Key, Tensor Embedding, string? Warning, bool FromCache);
