using Loom.Contracts.Shards;
using Loom.Models.Serving;

namespace Loom.Grains.Shards;

/// <summary>
/// What one shard holds on its device, by unit: a whole model, or one expert of a model of several (Wan2.2 A14B's
/// high-noise and low-noise transformers, each <see cref="ModelPart"/> loaded on its own). It keeps the weights within
/// the shard's budget: a unit that does not fit frees the least recently used others first, where the shard may.
/// Weights are counted from the model's files (<see cref="ModelMemory"/>); activations come on top.
/// </summary>
/// <param name="shardId">The shard (for messages).</param>
/// <param name="budget">Bytes of weights the shard may hold; negative: unbounded.</param>
/// <param name="evict">Whether a unit that does not fit may free others.</param>
public sealed class ShardMemory(string shardId, long budget, bool evict)
{
    private readonly Dictionary<(string Model, string? Expert), Held> _held = [];
    private readonly Lock _gate = new();
    private long _clock;

    /// <summary>Bytes of weights the shard may hold; -1 unbounded.</summary>
    public long BudgetBytes { get; } = budget < 0 ? -1 : budget;

    /// <summary>Bytes the weights held take.</summary>
    public long HeldBytes
    {
        get
        {
            lock (_gate)
            {
                return _held.Values.Sum(h => h.Bytes);
            }
        }
    }

    /// <summary>Units loaded since start.</summary>
    public long Loads { get; private set; }

    /// <summary>Units freed to make room since start.</summary>
    public long Evictions { get; private set; }

    /// <summary>The experts held, as <see cref="ShardInfo.ExpertKey"/> keys.</summary>
    public string[] Experts
    {
        get
        {
            lock (_gate)
            {
                return _held.Keys.Where(k => k.Expert is not null).Select(k => ShardInfo.ExpertKey(k.Model, k.Expert!)).Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>The units <paramref name="model"/> loads in: each expert when it has several, else the whole model (null).</summary>
    public static IReadOnlyList<string?> Units(ShardModelInfo model) => model.Memory.Parts.Count > 1 ? model.Memory.Parts.Select(p => (string?)p.Name).ToArray() : [null];

    /// <summary>Bytes of <paramref name="expert"/> of <paramref name="model"/> (null: the whole model).</summary>
    public static long Bytes(ShardModelInfo model, string? expert)
        => expert is null ? model.Memory.Bytes : model.Memory.Parts.FirstOrDefault(p => p.Name == expert)?.Bytes ?? model.Memory.LargestPart;

    /// <summary>True when the unit fits in the room left now, without freeing anything.</summary>
    public bool Fits(ShardModelInfo model, string? expert)
    {
        lock (_gate)
        {
            return BudgetBytes < 0 || _held.Values.Sum(h => h.Bytes) + Bytes(model, expert) <= BudgetBytes;
        }
    }

    /// <summary>The <paramref name="units"/> of <paramref name="model"/> (experts, or null for the whole model) not held yet.</summary>
    public IReadOnlyList<string?> Needed(ShardModelInfo model, IReadOnlyList<string?> units)
    {
        lock (_gate)
        {
            return units.Where(u => !_held.ContainsKey((model.Name, u))).ToArray();
        }
    }

    /// <summary>
    /// Makes room for <paramref name="expert"/> of <paramref name="model"/>: the least recently used units to free first
    /// (the caller frees them; they are no longer counted), none when it fits. The <paramref name="keep"/> units of the
    /// model (those the same batch needs) are never freed.
    /// </summary>
    /// <exception cref="ShardUnavailableException">It is larger than the budget, or does not fit and this shard may not free others.</exception>
    public IReadOnlyList<(string Model, string? Expert)> MakeRoom(ShardModelInfo model, string? expert, IReadOnlyList<string?> keep)
    {
        long need = Bytes(model, expert);
        lock (_gate)
        {
            if (BudgetBytes < 0)
            {
                return [];
            }
            string what = expert is null ? $"model {model.Name}" : $"expert {expert} of model {model.Name}";
            if (need > BudgetBytes)
            {
                throw new ShardUnavailableException($"shard {shardId} may hold {BudgetBytes} bytes of weights; {what} takes {need}.");
            }
            long free = BudgetBytes - _held.Values.Sum(h => h.Bytes);
            var victims = new List<(string, string?)>();
            foreach (var (key, held) in _held.Where(kv => kv.Key.Model != model.Name || !keep.Contains(kv.Key.Expert)).OrderBy(kv => kv.Value.LastUsed).ToList())
            {
                if (free >= need)
                {
                    break;
                }
                if (!evict)
                {
                    throw new ShardUnavailableException($"shard {shardId} has room for {free} bytes of weights; {what} takes {need} (it frees none: Loom:EvictModels is off).");
                }
                _held.Remove(key);
                free += held.Bytes;
                victims.Add(key);
                Evictions++;
            }
            if (free < need)
            {
                throw new ShardUnavailableException($"shard {shardId} has room for {free} bytes of weights; {what} takes {need}.");
            }
            return victims;
        }
    }

    /// <summary>Counts a unit just loaded.</summary>
    public void Loaded(ShardModelInfo model, string? expert)
    {
        lock (_gate)
        {
            _held[(model.Name, expert)] = new Held(Bytes(model, expert)) { LastUsed = ++_clock };
            Loads++;
        }
    }

    /// <summary>Marks the <paramref name="units"/> of <paramref name="model"/> a batch used as used now (the least recently used go first).</summary>
    public void Used(ShardModelInfo model, IReadOnlyList<string?> units)
    {
        lock (_gate)
        {
            long now = ++_clock;
            foreach (string? unit in units)
            {
                if (_held.TryGetValue((model.Name, unit), out Held? held))
                {
                    held.LastUsed = now;
                }
            }
        }
    }

    private sealed class Held(long bytes)
    {
        public long Bytes { get; } = bytes;

        public long LastUsed { get; set; }
    }
}
