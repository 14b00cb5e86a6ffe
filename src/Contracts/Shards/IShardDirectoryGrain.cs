namespace Loom.Contracts.Shards;

/// <summary>Which shards exist and how loaded they are (one per cluster, key 0). Silos report theirs every second.</summary>
[Alias("loom.shard-directory")]
public interface IShardDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Records the current state of a silo's shards.</summary>
    [Alias("report")]
    Task ReportAsync(ShardInfo[] shards);

    /// <summary>The live shards: reported recently, on a silo that membership says is active.</summary>
    [Alias("shards")]
    Task<ShardInfo[]> GetShardsAsync();
}
