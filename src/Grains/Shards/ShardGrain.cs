using Loom.Contracts.Shards;
using Orleans.Concurrency;

namespace Loom.Grains.Shards;

/// <summary>
/// The grain face of one device: pinned to its silo by <see cref="ShardPlacement"/>, reentrant because it only hands
/// requests to the device's worker thread and awaits them, so many requests wait in the worker's priority queue.
/// </summary>
[ShardPlacement, Reentrant]
public sealed class ShardGrain(ShardHost host) : Grain, IShardGrain
{
    /// <inheritdoc />
    public Task<WindowResult> EvaluateAsync(WindowRequest request, CancellationToken cancellationToken = default)
        => host.Worker(this.GetPrimaryKeyString()).EvaluateAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task<DecodeResult> DecodeAsync(DecodeRequest request, CancellationToken cancellationToken = default)
        => host.Worker(this.GetPrimaryKeyString()).DecodeAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task<ShardInfo> GetInfoAsync()
        => Task.FromResult(host.Worker(this.GetPrimaryKeyString()).Info(host.Silo.ToParsableString()));
}
