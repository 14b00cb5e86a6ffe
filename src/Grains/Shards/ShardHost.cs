using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Loom.Grains.Shards;

/// <summary>
/// The devices of this silo, one <see cref="ShardWorker"/> each: <see cref="LoomOptions.Shards"/> CPU workers here
/// (a GPU build would make one per visible CUDA device). Shard grains on this silo forward to these.
/// </summary>
public sealed class ShardHost : IDisposable
{
    private readonly Dictionary<string, ShardWorker> _workers;

    /// <summary>Creates the workers of the local silo.</summary>
    public ShardHost(ILocalSiloDetails silo, ModelCatalog catalog, IOptions<LoomOptions> options)
    {
        LoomOptions o = options.Value;
        if (o.ThreadsPerShard > 0)
        {
            TorchSharp.torch.set_num_threads(o.ThreadsPerShard);
        }
        Silo = silo.SiloAddress;
        _workers = Enumerable.Range(0, Math.Max(0, o.Shards))
            .Select(i => new ShardWorker(ShardKey.For(Silo, i), $"cpu:{i}", catalog, o.MaxBatch, o.ConditioningCacheEntries))
            .ToDictionary(w => w.ShardId, StringComparer.Ordinal);
    }

    /// <summary>The silo these devices belong to.</summary>
    public SiloAddress Silo { get; }

    /// <summary>Whether the shards take new work (false while draining).</summary>
    public bool Accepting { get; private set; } = true;

    /// <summary>The workers.</summary>
    public IReadOnlyCollection<ShardWorker> Workers => _workers.Values;

    /// <summary>The worker behind shard <paramref name="shardId"/>.</summary>
    /// <exception cref="ShardUnavailableException">No such shard here, or the silo is draining.</exception>
    public ShardWorker Worker(string shardId) => Accepting && _workers.TryGetValue(shardId, out ShardWorker? worker)
        ? worker
        : throw new ShardUnavailableException($"shard {shardId} does not take work on silo {Silo}.");

    /// <summary>Stops taking new evaluations (drain); queued and running ones still finish.</summary>
    public void StopAccepting() => Accepting = false;

    /// <summary>Current load of every local shard.</summary>
    public ShardInfo[] Infos() => Accepting ? _workers.Values.Select(w => w.Info(Silo.ToParsableString())).ToArray() : [];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ShardWorker worker in _workers.Values)
        {
            worker.Dispose();
        }
    }
}
