namespace Loom.Grains.Shards;

/// <summary>
/// Where a new job goes, decided in one place for the whole cluster (the shard directory grain holds one): the calling
/// silo while it has a shard free, else the silo with the most shards free (none free: the least loaded for its shards).
/// "Free" counts the jobs placed on a silo in the last <see cref="Recent"/> (a burst of submissions is placed before any
/// of them runs) and, for the calling silo, the jobs it runs. Each silo deciding alone knew only its own placements: a burst of 64 jobs on 4 silos of 16
/// shards ended 17/17/15/15, and the 17th job's windows shared another job's shard for the whole run.
/// </summary>
/// <param name="recent">How long a placement counts as taking a shard before the job's own report does.</param>
public sealed class JobSpread(TimeSpan recent)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _placed = new(StringComparer.Ordinal);

    /// <summary>How long a placement counts.</summary>
    public TimeSpan Recent { get; } = recent;

    /// <summary>Picks a silo for a new job and records the placement.</summary>
    /// <param name="local">The calling silo.</param>
    /// <param name="shards">The candidate silos (not draining) and their shards.</param>
    /// <param name="localRunning">Jobs running on the calling silo.</param>
    /// <param name="now">The time.</param>
    /// <returns>The chosen silo: one of <paramref name="shards"/>' keys.</returns>
    /// <exception cref="ArgumentException">No candidate.</exception>
    public string Place(string local, IReadOnlyDictionary<string, int> shards, int localRunning, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
        {
            throw new ArgumentException("no silo to place a job on.", nameof(shards));
        }
        foreach (Queue<DateTimeOffset> placed in _placed.Values)
        {
            while (placed.Count > 0 && now - placed.Peek() > Recent)
            {
                placed.Dequeue();
            }
        }
        int Taken(string silo) => Math.Max(_placed.TryGetValue(silo, out var placed) ? placed.Count : 0, silo == local ? localRunning : 0);
        // The calling silo while it has a shard free; else the silo with the most free; with none free, the one least
        // loaded for its shards.
        string chosen = shards.TryGetValue(local, out int own) && Taken(local) < own
            ? local
            : shards.Where(s => s.Value - Taken(s.Key) > 0).OrderByDescending(s => s.Value - Taken(s.Key)).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key).FirstOrDefault()
                ?? shards.OrderBy(s => s.Value == 0 ? double.MaxValue : Taken(s.Key) / (double)s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First().Key;
        if (!_placed.TryGetValue(chosen, out var queue))
        {
            _placed[chosen] = queue = new Queue<DateTimeOffset>();
        }
        queue.Enqueue(now);
        return chosen;
    }
}
