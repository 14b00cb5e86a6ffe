using Loom.Contracts.Shards;
using Orleans.Runtime;


namespace Loom.Grains.Shards;

/// <summary>
/// Holds the latest report of every shard. Not persisted: silos report every heartbeat, so a re-activated directory is
/// complete again within one interval. Shards of a silo that membership no longer lists as active are left out.
/// </summary>
public sealed class ShardDirectoryGrain(IClusterMembershipService membership, Microsoft.Extensions.Options.IOptions<LoomShardOptions> options) : Grain, IShardDirectoryGrain
{
    private readonly Dictionary<string, ShardInfo> _shards = new(StringComparer.Ordinal);
    private readonly JobSpread _spread = new(TimeSpan.FromSeconds(1));

    /// <inheritdoc />
    public Task ReportAsync(ShardInfo[] shards)
    {
        foreach (ShardInfo shard in shards)
        {
            _shards[shard.ShardId] = shard;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ShardInfo[]> GetShardsAsync()
    {
        DateTimeOffset cutoff = DateTimeOffset.UtcNow - options.Value.ShardStaleAfter;
        ClusterMembershipSnapshot snapshot = membership.CurrentSnapshot;
        foreach (string stale in _shards.Values.Where(s => s.ReportedAt < cutoff - options.Value.ShardStaleAfter).Select(s => s.ShardId).ToList())
        {
            _shards.Remove(stale);
        }
        return Task.FromResult(_shards.Values
            .Where(s => s.ReportedAt >= cutoff && snapshot.GetSiloStatus(SiloAddress.FromParsableString(s.Silo)) == SiloStatus.Active)
            .OrderBy(s => s.ShardId, StringComparer.Ordinal)
            .ToArray());
    }

    /// <inheritdoc />
    public async Task<string> PlaceJobAsync(string local, string[] candidates, int localRunning)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ShardInfo[] live = await GetShardsAsync();
        Dictionary<string, int> shards = candidates.Distinct(StringComparer.Ordinal).ToDictionary(c => c, c => live.Count(s => s.Silo == c), StringComparer.Ordinal);
        return _spread.Place(local, shards, localRunning, DateTimeOffset.UtcNow);
    }
}
