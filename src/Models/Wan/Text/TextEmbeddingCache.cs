using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// An in-process <see cref="ITextEmbeddingCache"/>: CPU copies, least-recently-used entries evicted once the tensor bytes
/// exceed the budget (an embedding larger than the whole budget is not kept). Thread-safe.
/// </summary>
public sealed class TextEmbeddingCache : ITextEmbeddingCache, IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<(string Hash, Tensor Embedding, long Bytes)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Hash, Tensor Embedding, long Bytes)>> _entries = new(StringComparer.Ordinal);
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _evictions;

    /// <summary>A cache holding at most <paramref name="capacityBytes"/> of tensor data.</summary>
    public TextEmbeddingCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
    }

    /// <summary>The byte budget.</summary>
    public long CapacityBytes { get; }

    /// <inheritdoc />
    public TextEmbeddingCacheStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new TextEmbeddingCacheStats(_hits, _misses, _evictions, _entries.Count, _bytes, CapacityBytes);
            }
        }
    }

    /// <inheritdoc />
    public bool TryGet(string contentHash, [NotNullWhen(true)] out Tensor? embedding)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(contentHash, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                _hits++;
                embedding = node.Value.Embedding.clone();
                return true;
            }
            _misses++;
            embedding = null;
            return false;
        }
    }

    /// <inheritdoc />
    public void Put(string contentHash, Tensor embedding)
    {
        long bytes = embedding.numel() * embedding.ElementSize;
        if (bytes > CapacityBytes)
        {
            return;
        }
        Tensor copy = embedding.detach().cpu().clone().DetachFromDisposeScope(); // owned by the cache, not by the caller's scope
        lock (_gate)
        {
            if (_entries.TryGetValue(contentHash, out var existing))
            {
                Remove(existing);
            }
            _entries[contentHash] = _order.AddFirst((contentHash, copy, bytes));
            _bytes += bytes;
            while (_bytes > CapacityBytes && _order.Last is { } oldest)
            {
                Remove(oldest);
                _evictions++;
            }
        }
    }

    private void Remove(LinkedListNode<(string Hash, Tensor Embedding, long Bytes)> node)
    {
        _order.Remove(node);
        _entries.Remove(node.Value.Hash);
        _bytes -= node.Value.Bytes;
        node.Value.Embedding.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _order)
            {
                entry.Embedding.Dispose();
            }
            _order.Clear();
            _entries.Clear();
            _bytes = 0;
        }
    }
}
