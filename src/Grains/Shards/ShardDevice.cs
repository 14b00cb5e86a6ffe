using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>The device one shard runs on: <c>cuda:0</c>, <c>cpu:1</c>, or <c>simulated:0</c> (no device, see <see cref="LoomShardOptions.SimulatedForward"/>).</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Index">Its number among the shards of that kind on this silo (for CUDA: the CUDA device ordinal).</param>
public sealed record ShardDevice(ShardDeviceKind Kind, int Index)
{
    /// <summary>The name shards and logs use: <c>cuda:0</c>, <c>cpu:1</c>, <c>simulated:0</c>.</summary>
    public string Id => $"{Kind.ToString().ToLowerInvariant()}:{Index}";

    /// <summary>
    /// The torch device its tensors live on. Every CPU shard shares the one CPU device (the index only tells shards
    /// apart); a CUDA shard owns device <see cref="Index"/>.
    /// </summary>
    public torch.Device Torch => Kind == ShardDeviceKind.Cuda ? new torch.Device(DeviceType.CUDA, Index) : new torch.Device(DeviceType.CPU);

    /// <inheritdoc />
    public override string ToString() => Id;
}
