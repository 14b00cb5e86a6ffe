using Loom.Contracts.Shards;
using Loom.Grains.Routing;
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
/// The calling silo when it can take the job (as Orleans' default placement prefers), else a random compatible silo that
/// is not draining. A draining silo is this one once its drain began, or one whose shards the directory lists as
/// draining. Without this a job stopped by a drain would be re-activated on the draining silo (the job queue that
/// resumes it may live there) until that silo left.
/// </summary>
public sealed class JobPlacementDirector(ShardRouter router, LocalJobs jobs, ILocalSiloDetails local) : IPlacementDirector
{
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
        return pool.Contains(local.SiloAddress) ? local.SiloAddress : pool[Random.Shared.Next(pool.Length)];
    }
}
