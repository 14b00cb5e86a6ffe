namespace Loom.Grains.Routing;

/// <summary>
/// Where each of a router's windows was last answered (its home), so that another window does not take that shard in the
/// moment between the window's rounds, when nothing is in flight there and it looks idle. Without it a new job's window
/// took a busy job's home in that gap; the home's window then went elsewhere and displaced another in turn (64
/// one-window jobs on 64 shards: a few shards served two jobs, and each such job ran up to half as long again).
/// A home stands until its run ends (<see cref="JobCounters.End"/>) or its window goes unanswered for a while (a run
/// that stopped without saying so).
/// </summary>
/// <remarks>Not thread-safe: the router calls it under its pick lock.</remarks>
public sealed class WindowHomes
{
    private readonly Dictionary<(JobCounters Run, int WindowStart), (string Shard, DateTimeOffset At, TimeSpan Keep)> _homes = [];

    /// <summary>Window <paramref name="windowStart"/> of <paramref name="run"/> was answered on <paramref name="shard"/> at <paramref name="at"/>; its home stands for <paramref name="keep"/> without another answer.</summary>
    public void Answered(JobCounters run, int windowStart, string shard, DateTimeOffset at, TimeSpan keep)
    {
        ArgumentNullException.ThrowIfNull(run);
        _homes[(run, windowStart)] = (shard, at, keep);
    }

    /// <summary>
    /// The shards that are home to a window other than <paramref name="run"/>'s window <paramref name="windowStart"/>
    /// at <paramref name="now"/>; forgets the homes of ended runs and of windows unanswered past their keep.
    /// </summary>
    public HashSet<string> OfOthers(JobCounters? run, int windowStart, DateTimeOffset now)
    {
        var shards = new HashSet<string>(StringComparer.Ordinal);
        List<(JobCounters, int)>? gone = null;
        foreach (var (key, home) in _homes)
        {
            if (key.Run.Ended || now - home.At > home.Keep)
            {
                (gone ??= []).Add(key);
            }
            else if (!ReferenceEquals(key.Run, run) || key.WindowStart != windowStart)
            {
                shards.Add(home.Shard);
            }
        }
        gone?.ForEach(k => _homes.Remove(k));
        return shards;
    }

    /// <summary>Homes held now (for tests and diagnostics).</summary>
    public int Count => _homes.Count;
}
