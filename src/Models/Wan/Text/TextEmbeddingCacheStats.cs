namespace Loom.Models.Wan.Text;

/// <summary>Counters of a <see cref="ITextEmbeddingCache"/>.</summary>
/// <param name="Hits">Lookups answered from the cache.</param>
/// <param name="Misses">Lookups that had to encode.</param>
/// <param name="Evictions">Entries dropped to stay within the byte budget.</param>
/// <param name="Entries">Entries held now.</param>
/// <param name="Bytes">Tensor bytes held now.</param>
/// <param name="CapacityBytes">The byte budget.</param>
public sealed record TextEmbeddingCacheStats(long Hits, long Misses, long Evictions, int Entries, long Bytes, long CapacityBytes)
{
    /// <summary>Hits / lookups (0 before any lookup).</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
