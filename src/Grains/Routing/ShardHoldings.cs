using System.Collections.Concurrent;
using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using Loom.Models.Serving;

namespace Loom.Grains.Routing;

/// <summary>
/// Which shards hold a model, or the one expert of Wan2.2 A14B a window needs, and which have room to load it: the
/// directory's last report (<see cref="ShardInfo.Experts"/>, <see cref="ShardInfo.RoomBytes"/>) plus what this router has
/// sent since to shards that lacked it (they are loading it; the report says so a heartbeat later). Placement weighs a
/// load (<see cref="ModelCatalog.LoadSeconds"/>) against a holder's queue; an expert is loaded where it fits, and a shard
/// frees another (its least recently used) only when no shard holds the expert and none has room: so a pool whose
/// shards each hold one expert serves high-noise and low-noise steps without reloading at each switch.
/// </summary>
public sealed class ShardHoldings(ModelCatalog catalog)
{
    /// <summary>How long a load this router caused counts as held (longer than a heartbeat plus the router's snapshot age).</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string Shard, string Model, string? Expert), (DateTimeOffset At, long Bytes)> _sent = new();

    /// <summary>True when <paramref name="shard"/> holds the model (its expert), or is loading it for this router.</summary>
    public bool Holds(ShardInfo shard, string model, string? expert)
        => shard.Holds(model, expert) || (_sent.TryGetValue((shard.ShardId, model, expert), out var sent) && DateTimeOffset.UtcNow - sent.At < Keep);

    /// <summary>
    /// The shards of <paramref name="candidates"/> that may take an evaluation of <paramref name="model"/> (its
    /// <paramref name="expert"/>) and the seconds of loading each would add (0 where held).
    /// </summary>
    /// <exception cref="ShardUnavailableException">No candidate can ever hold it; the message names the model, the expert and the bytes.</exception>
    public IReadOnlyList<(ShardInfo Shard, double LoadSeconds)> Usable(string model, string? expert, IReadOnlyList<ShardInfo> candidates)
    {
        long need = catalog.Models.TryGetValue(model, out ShardModelInfo? info) ? ShardMemory.Bytes(info, expert) : 0;
        double load = catalog.LoadSeconds(model, expert);
        bool[] holds = candidates.Select(s => Holds(s, model, expert)).ToArray();
        bool[] fits = candidates.Select(s => Room(s) >= need).ToArray();
        bool heldSomewhere = holds.Any(h => h), roomSomewhere = Enumerable.Range(0, candidates.Count).Any(i => !holds[i] && fits[i]);
        var usable = new List<(ShardInfo, double)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            ShardInfo s = candidates[i];
            if (holds[i])
            {
                usable.Add((s, 0));
            }
            else if (fits[i])
            {
                // A second copy of an expert takes room the other expert may need: only worth it for a long queue.
                usable.Add((s, expert is not null && heldSomewhere ? 2 * load : load));
            }
            else if (!heldSomewhere && !roomSomewhere && (s.ModelBudgetBytes < 0 || s.ModelBudgetBytes >= need))
            {
                usable.Add((s, 2 * load)); // it frees its least recently used model or expert first
            }
        }
        if (usable.Count == 0)
        {
            string what = expert is null ? $"model '{model}'" : $"expert {expert} of model '{model}'";
            long largest = candidates.Count == 0 ? 0 : candidates.Max(s => s.ModelBudgetBytes);
            throw new ShardUnavailableException($"no live shard can hold {what} ({need} bytes of weights; the largest shard budget is {largest} bytes).");
        }
        return usable;
    }

    /// <summary>Records that <paramref name="shard"/> was sent an evaluation of the model (its expert): if it lacked it, it loads it now.</summary>
    public void Sent(ShardInfo shard, string model, string? expert)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (var (key, (at, _)) in _sent)
        {
            if (now - at >= Keep)
            {
                _sent.TryRemove(key, out _);
            }
        }
        if (!shard.Holds(model, expert))
        {
            long need = catalog.Models.TryGetValue(model, out ShardModelInfo? info) ? ShardMemory.Bytes(info, expert) : 0;
            _sent[(shard.ShardId, model, expert)] = (now, need);
        }
    }

    /// <summary>Room for weights on <paramref name="shard"/>: as reported, less what this router has since sent it to load.</summary>
    private long Room(ShardInfo shard)
    {
        long room = shard.RoomBytes;
        if (room == long.MaxValue)
        {
            return room;
        }
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (var ((id, model, expert), (at, bytes)) in _sent)
        {
            if (id == shard.ShardId && now - at < Keep && !shard.Holds(model, expert))
            {
                room -= bytes;
            }
        }
        return room;
    }
}
