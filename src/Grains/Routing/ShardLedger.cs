namespace Loom.Grains.Routing;

/// <summary>
/// This router's own requests per shard, with when each was sent and answered. The directory's queue depths are up to
/// a heartbeat old and count this router's requests too; subtracting those that were out at the report's time leaves
/// the load of other routers, and adding what is out now gives a fresh picture. Without it, a shard that was busy with
/// the previous step's window at report time looked busy for the whole next step, and windows doubled up elsewhere.
/// </summary>
public sealed class ShardLedger
{
    /// <summary>
    /// How long an answered request is remembered: longer than any report placement still uses (a report is at most a
    /// heartbeat plus the router's snapshot age old; <c>ShardStaleAfter</c>, 5 s by default, drops older ones), and
    /// short enough that counting stays cheap (a shard answering 20 requests a second keeps about 200 entries here).
    /// </summary>
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, List<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Records a request sent to <paramref name="shardId"/> now; end it with <see cref="End"/>.</summary>
    public object Begin(string shardId)
    {
        var entry = new Entry(DateTimeOffset.UtcNow);
        lock (_gate)
        {
            if (!_entries.TryGetValue(shardId, out List<Entry>? list))
            {
                _entries[shardId] = list = [];
            }
            DateTimeOffset old = entry.Sent - Keep;
            list.RemoveAll(e => e.Answered < old);
            list.Add(entry);
        }
        return entry;
    }

    /// <summary>
    /// The request <paramref name="token"/> (from <see cref="Begin"/>) was answered or failed now, having kept its shard
    /// busy <paramref name="computeSeconds"/> (the shard's own count; 0 for a failure).
    /// </summary>
    public void End(object token, double computeSeconds = 0)
    {
        lock (_gate)
        {
            var entry = (Entry)token;
            entry.Answered = DateTimeOffset.UtcNow;
            entry.ComputeSeconds = computeSeconds;
        }
    }

    /// <summary>This router's requests out at <paramref name="shardId"/> now.</summary>
    public int InFlight(string shardId)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(shardId, out List<Entry>? list) ? list.Count(e => e.Answered == DateTimeOffset.MaxValue) : 0;
        }
    }

    /// <summary>This router's requests that were out at <paramref name="shardId"/> at <paramref name="at"/>.</summary>
    public int OutAt(string shardId, DateTimeOffset at)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(shardId, out List<Entry>? list) ? list.Count(e => e.Sent <= at && at < e.Answered) : 0;
        }
    }

    /// <summary>
    /// The share of <c>(from, to]</c> that <paramref name="shardId"/> spent computing this router's requests: their
    /// compute seconds as the shard counted them, for those answered in that time, over its length.
    /// </summary>
    public double BusyShare(string shardId, DateTimeOffset from, DateTimeOffset to)
    {
        double span = (to - from).TotalSeconds;
        if (span <= 0)
        {
            return 0;
        }
        lock (_gate)
        {
            return _entries.TryGetValue(shardId, out List<Entry>? list)
                ? list.Where(e => e.Answered > from && e.Answered <= to).Sum(e => e.ComputeSeconds) / span
                : 0;
        }
    }

    /// <summary>Forgets shards not in <paramref name="live"/> (they left the directory).</summary>
    public void Retain(IEnumerable<string> live)
    {
        var keep = new HashSet<string>(live, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (string shard in _entries.Keys.Where(k => !keep.Contains(k)).ToList())
            {
                _entries.Remove(shard);
            }
        }
    }

    private sealed class Entry(DateTimeOffset sent)
    {
        public DateTimeOffset Sent { get; } = sent;

        public DateTimeOffset Answered { get; set; } = DateTimeOffset.MaxValue;

        public double ComputeSeconds { get; set; }
    }
}
