namespace Loom.Grains.Routing;

/// <summary>
/// The router's choice among the shards that can take a window, given each one's expected finish time
/// (<c>(requests ahead + 1) x measured seconds per forward</c>, see <see cref="ShardRouter"/>).
/// </summary>
public static class ShardChoice
{
    /// <summary>Shards within this factor of the cheapest count as equally cheap: measured latencies are noisy.</summary>
    public const double Tie = 1.1;

    /// <summary>
    /// The window's home shard (the one that evaluated it last) is kept while within this factor of the cheapest: a
    /// request waiting ahead of it doubles its cost and moves the window, a 10-30% wobble of measured latency does not.
    /// Moving on noise alone displaced another job's window from its home, which then moved in turn: 64 one-window jobs
    /// on 64 shards each used 4-7 shards, and the slowest ran 8-9 s for 5 s of forwards.
    /// </summary>
    public const double HomeTie = 1.5;

    /// <summary>
    /// The index of the chosen shard: <paramref name="home"/> when it is within <see cref="HomeTie"/> of the cheapest;
    /// else, when the cheapest shard on this silo is within <see cref="HomeTie"/> of the cheapest anywhere, one of those on
    /// this silo within <see cref="Tie"/> of it; else one of all within <see cref="Tie"/> of the cheapest; ties at random.
    /// This silo's shards get the same margin as home because their cost is known exactly (the router reads their queues
    /// live) while another silo's shard looks idle as of a report up to seconds old, and its own
    /// silo's jobs are placing windows on it meanwhile: taking it on a 10% latency wobble sent 1-14 of 64 one-window
    /// jobs on 64 shards to another silo's shard, whose own job then queued behind them.
    /// </summary>
    /// <param name="costs">Expected finish time of each shard, seconds.</param>
    /// <param name="home">The index of the window's home shard, or -1.</param>
    /// <param name="local">Whether each shard is on this silo.</param>
    /// <param name="random">Breaks ties.</param>
    public static int Pick(IReadOnlyList<double> costs, int home, IReadOnlyList<bool> local, Random random)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(random);
        if (costs.Count == 0 || local.Count != costs.Count)
        {
            throw new ArgumentException($"{costs.Count} costs for {local.Count} shards: one cost per shard, at least one.", nameof(costs));
        }
        double least = costs.Min();
        if (home >= 0 && home < costs.Count && costs[home] <= least * HomeTie)
        {
            return home;
        }
        int[] here = Enumerable.Range(0, costs.Count).Where(i => local[i]).ToArray();
        if (here.Length > 0 && here.Min(i => costs[i]) is var leastHere && leastHere <= least * HomeTie)
        {
            int[] cheapestHere = here.Where(i => costs[i] <= leastHere * Tie).ToArray();
            return cheapestHere[random.Next(cheapestHere.Length)];
        }
        int[] cheapest = Enumerable.Range(0, costs.Count).Where(i => costs[i] <= least * Tie).ToArray();
        return cheapest[random.Next(cheapest.Length)];
    }
}
