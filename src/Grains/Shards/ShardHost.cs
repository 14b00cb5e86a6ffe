using Loom.Contracts.Shards;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Loom.Grains.Shards;

/// <summary>
/// The devices of this silo, one <see cref="ShardWorker"/> each: one per CUDA device the process sees, or
/// <see cref="LoomShardOptions.Shards"/> CPU workers (see <see cref="LoomShardOptions.Devices"/> and <see cref="ShardDevices"/>).
/// Shard grains on this silo forward to these.
/// </summary>
public sealed class ShardHost : IDisposable
{
    private readonly Dictionary<string, ShardWorker> _workers;

    /// <summary>Creates the workers of the local silo.</summary>
    /// <exception cref="InvalidOperationException"><see cref="LoomShardOptions.Devices"/> is unknown, or <c>cuda</c> on a silo that sees no CUDA device.</exception>
    public ShardHost(ILocalSiloDetails silo, ModelCatalog catalog, IOptions<LoomShardOptions> options, LoomMetrics metrics)
    {
        LoomShardOptions o = options.Value;
        if (o.ThreadsPerShard > 0)
        {
            TorchSharp.torch.set_num_threads(o.ThreadsPerShard); // this thread's loads; each worker sets its own
        }
        Silo = silo.SiloAddress;
        Devices = ShardDevices.Select(o);
        _workers = Devices
            .Select((device, i) => new ShardWorker(ShardKey.For(Silo, i), device, catalog, o.MaxBatch, o.ConditioningCacheEntries, metrics, o.PreloadModels, o.SimulatedForward, o.ThreadsPerShard, o.ShardModelBytes, o.EvictModels))
            .ToDictionary(w => w.ShardId, StringComparer.Ordinal);
    }

    /// <summary>The devices the shards run on, in shard order.</summary>
    public IReadOnlyList<ShardDevice> Devices { get; }

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

    /// <summary>Whether shard <paramref name="shardId"/> is one of this silo's (accepting work or not).</summary>
    public bool Holds(string shardId) => _workers.ContainsKey(shardId);

    /// <summary>Requests waiting or running at <paramref name="shardId"/> now, if it is this silo's; else null.</summary>
    public int? QueueDepthOf(string shardId) => _workers.TryGetValue(shardId, out ShardWorker? worker) ? worker.QueueDepth : null;

    /// <summary>True once the silo drains: the shards are reported as draining, and routers place work elsewhere.</summary>
    public bool Draining { get; private set; }

    /// <summary>
    /// First step of a drain: report the shards as draining (routers prefer other shards from their next look at the
    /// directory) while still taking what routers send before they look.
    /// </summary>
    public void BeginDrain() => Draining = true;

    /// <summary>Stops taking new evaluations (drain); queued and running ones still finish.</summary>
    public void StopAccepting()
    {
        Draining = true;
        Accepting = false;
    }

    /// <summary>Evaluations waiting or running on this silo's shards.</summary>
    public int QueueDepth => _workers.Values.Sum(w => w.QueueDepth);

    /// <summary>Waits until no evaluation waits or runs on this silo's shards; false if <paramref name="cancellationToken"/> came first.</summary>
    public async Task<bool> WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (QueueDepth > 0)
        {
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Current load of every local shard, marked draining once the silo drains.</summary>
    public ShardInfo[] Infos() => _workers.Values.Select(w => w.Info(Silo.ToParsableString()) with { Draining = Draining }).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ShardWorker worker in _workers.Values)
        {
            worker.Dispose();
        }
    }
}
