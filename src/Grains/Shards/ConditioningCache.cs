using System.Diagnostics.CodeAnalysis;
using Loom.Contracts.Shards;

namespace Loom.Grains.Shards;

/// <summary>
/// A shard's conditioning (given frames, text embeddings, image conditions) by content key, the oldest dropped first
/// beyond <c>entries</c>: a caller whose key was dropped gets <see cref="ConditioningMissingException"/> and sends it again.
/// </summary>
/// <remarks>Not thread-safe: the worker uses it under its queue's lock.</remarks>
/// <param name="entries">How many to keep (at least one).</param>
internal sealed class ConditioningCache(int entries)
{
    private readonly int _entries = Math.Max(1, entries);
    private readonly Dictionary<string, WindowConditioning> _held = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Keeps <paramref name="given"/> under <paramref name="key"/> unless held already, dropping the oldest beyond the limit.</summary>
    public void Remember(string key, WindowConditioning given)
    {
        if (_held.TryAdd(key, given))
        {
            _order.Enqueue(key);
            while (_order.Count > _entries)
            {
                _held.Remove(_order.Dequeue());
            }
        }
    }

    /// <summary>Whether <paramref name="key"/> is held.</summary>
    public bool Holds(string key) => _held.ContainsKey(key);

    /// <summary>The conditioning held under <paramref name="key"/>, if it is.</summary>
    public bool TryGet(string key, [NotNullWhen(true)] out WindowConditioning? given) => _held.TryGetValue(key, out given);
}
