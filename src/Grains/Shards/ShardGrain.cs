using Loom.Contracts.Shards;
using Orleans.Concurrency;

namespace Loom.Grains.Shards;

/// <summary>
/// The grain face of one device: pinned to its silo by <see cref="ShardPlacement"/>, reentrant because it only hands
/// requests to the device's worker thread and awaits them, so many requests wait in the worker's priority queue.
/// </summary>
[ShardPlacement, Reentrant]
public sealed class ShardGrain(ShardHost host, ResidentWindows residents) : Grain, IShardGrain
{
    /// <inheritdoc />
    public Task<WindowResult> EvaluateAsync(WindowRequest request, CancellationToken cancellationToken = default)
        => host.Worker(this.GetPrimaryKeyString()).EvaluateAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task<DecodeResult> DecodeAsync(DecodeRequest request, CancellationToken cancellationToken = default)
        => host.Worker(this.GetPrimaryKeyString()).DecodeAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task ResidentOpenAsync(ResidentOpenRequest request)
    {
        residents.Open(this.GetPrimaryKeyString(), request);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ResidentRoundResult> ResidentRoundAsync(ResidentRoundRequest request, CancellationToken cancellationToken = default)
        => residents.RoundAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task ResidentHaloAsync(ResidentHalo halo)
    {
        residents.Deliver(halo);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<(long[] Shape, WireTensor Latent)> ResidentFramesAsync(ResidentJob job, int window, int stepsDone)
        => residents.FramesAsync(job, window, stepsDone);

    /// <inheritdoc />
    public Task ResidentCloseAsync(ResidentJob job)
    {
        residents.Close(job);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ShardInfo> GetInfoAsync()
        => Task.FromResult(host.Worker(this.GetPrimaryKeyString()).Info(host.Silo.ToParsableString()));
}
