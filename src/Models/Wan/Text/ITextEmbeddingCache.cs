using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Prompt embeddings by content (<see cref="TextEmbeddingKey.ContentHash"/>), so each distinct prompt is encoded once:
/// the in-process <see cref="TextEmbeddingCache"/> now; a cluster-wide store can implement the same contract by hash.
/// </summary>
public interface ITextEmbeddingCache
{
    /// <summary>A copy of the embedding of <paramref name="contentHash"/> (the caller owns it), counting a hit or a miss.</summary>
    bool TryGet(string contentHash, [NotNullWhen(true)] out Tensor? embedding);

    /// <summary>Stores a CPU copy of <paramref name="embedding"/> under <paramref name="contentHash"/> (the caller keeps its tensor).</summary>
    void Put(string contentHash, Tensor embedding);

    /// <summary>The counters now.</summary>
    TextEmbeddingCacheStats Stats { get; }
}
