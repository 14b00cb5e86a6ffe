using Loom.Contracts.Shards;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Loom.Grains.Shards;

/// <summary>Places a shard grain on the silo named in its key, and nowhere else.</summary>
[GenerateSerializer, Alias("loom.shard-placement"), Immutable]
public sealed class ShardPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static ShardPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="ShardPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardPlacementAttribute() : PlacementAttribute(ShardPlacement.Instance);

/// <summary>
/// Picks the silo named in the shard key when it is a live, compatible silo; otherwise refuses, so a call to a shard of
/// a dead silo fails fast (and is retried elsewhere) instead of activating a shard with no device behind it.
/// </summary>
public sealed class ShardPlacementDirector : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        SiloAddress owner = ShardKey.Parse(target.GrainIdentity.Key.ToString()!).Silo;
        if (!context.GetCompatibleSilos(target).Contains(owner))
        {
            throw new ShardUnavailableException($"shard {target.GrainIdentity.Key} belongs to silo {owner}, which is not in the cluster.");
        }
        return Task.FromResult(owner);
    }
}
