using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Loom.Grains.Jobs;

/// <summary>Places a render job grain on a silo that is not draining (see <see cref="JobPlacementDirector"/>).</summary>
[GenerateSerializer, Alias("loom.job-placement"), Immutable]
public sealed class JobPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static JobPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="JobPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class JobPlacementAttribute() : PlacementAttribute(JobPlacement.Instance);

/// <summary>
/// The calling silo when it can take the job (as Orleans' default placement prefers) and has a shard free for it, else the
/// compatible silo that is not draining with the most shards free, decided by the shard directory for the whole cluster
/// (<see cref="JobSpread"/>); when the directory does not answer within 2 s, a random one. A draining silo is this one once its drain began, or one whose shards
/// the directory lists as draining. Without this a job stopped by a drain would be re-activated on the draining silo
/// (the job queue that resumes it may live there) until that silo left. "A shard free": the jobs running here, or placed
/// here in the last second (a burst of submissions is placed before any of them runs), are fewer than this silo's
/// shards; a job's windows go to its own silo's shards first (ShardRouter), where its router knows their load exactly,
/// so jobs spread over silos by their shards place their windows without colliding with other silos' jobs.
/// </summary>
public sealed class JobPlacementDirector(ShardRouter router, LocalJobs jobs, ShardHost shards, ILocalSiloDetails local, IGrainFactory grains) : IPlacementDirector
{
    private static readonly TimeSpan Recent = TimeSpan.FromSeconds(1);
    private readonly Queue<DateTimeOffset> _placedHere = new();

    /// <inheritdoc />
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        SiloAddress[] compatible = context.GetCompatibleSilos(target);
        var draining = new HashSet<SiloAddress>();
        if (jobs.Draining)
        {
            draining.Add(local.SiloAddress);
        }
        try
        {
            foreach (ShardInfo shard in await router.ShardsAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false))
            {
                if (shard.Draining)
                {
                    draining.Add(SiloAddress.FromParsableString(shard.Silo));
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The directory is away: place on what this silo knows.
        }
        SiloAddress[] open = compatible.Where(s => !draining.Contains(s)).ToArray();
        SiloAddress[] pool = open.Length > 0 ? open : compatible;
        try
        {
            // One decision for the cluster, so a burst from several gateways fills every silo's shards evenly.
            string chosen = await grains.GetGrain<IShardDirectoryGrain>(0)
                .PlaceJobAsync(local.SiloAddress.ToParsableString(), pool.Select(s => s.ToParsableString()).ToArray(), jobs.RunningLoops)
                .WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            if (pool.FirstOrDefault(s => s.ToParsableString() == chosen) is { } silo)
            {
                return silo;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The directory is away: place on what this silo knows.
        }
        if (!pool.Contains(local.SiloAddress))
        {
            return pool[Random.Shared.Next(pool.Length)];
        }
        SiloAddress[] others = pool.Where(s => !s.Equals(local.SiloAddress)).ToArray();
        lock (_placedHere)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            while (_placedHere.Count > 0 && now - _placedHere.Peek() > Recent)
            {
                _placedHere.Dequeue();
            }
            if (others.Length > 0 && shards.Workers.Count > 0 && Math.Max(jobs.RunningLoops, _placedHere.Count) >= shards.Workers.Count)
            {
                return others[Random.Shared.Next(others.Length)];
            }
            _placedHere.Enqueue(now);
            return local.SiloAddress;
        }
    }
}
