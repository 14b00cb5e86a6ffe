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

    /// <summary>
    /// Places a new job for the whole cluster: <paramref name="local"/> (the calling silo) while it has a shard free, else
    /// the candidate with the most shards free, counting the jobs placed in the last second (<c>JobSpread</c>).
    /// </summary>
    /// <param name="local">The calling silo (parsable address).</param>
    /// <param name="candidates">Silos that may take it (not draining).</param>
    /// <param name="localRunning">Jobs the calling silo runs.</param>
    /// <returns>The chosen silo, one of <paramref name="candidates"/>.</returns>
    [Alias("place-job")]
    Task<string> PlaceJobAsync(string local, string[] candidates, int localRunning);
}
