using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>
/// Which shards a silo starts (<see cref="LoomShardOptions.Devices"/>): one per CUDA device it sees, or
/// <see cref="LoomShardOptions.Shards"/> CPU shards when it sees none or is told to use the CPU.
/// </summary>
public static class ShardDevices
{
    /// <summary>The setting's full name, as errors print it.</summary>
    public const string Setting = "Loom:Devices";

    /// <summary>The values <see cref="LoomShardOptions.Devices"/> takes.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["auto", "cpu", "cuda"];

    /// <summary>The shards of a silo with <paramref name="options"/>, asking TorchSharp how many CUDA devices there are.</summary>
    /// <exception cref="InvalidOperationException">The setting is unknown, or it is <c>cuda</c> and no CUDA device is visible.</exception>
    public static IReadOnlyList<ShardDevice> Select(LoomShardOptions options) => Select(options, CudaDeviceCount);

    /// <summary>
    /// The shards of a silo with <paramref name="options"/> on a machine where <paramref name="cudaDevices"/> tells how
    /// many CUDA devices are visible (asked only when the setting needs it).
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting is unknown, or it is <c>cuda</c> and no CUDA device is visible.</exception>
    public static IReadOnlyList<ShardDevice> Select(LoomShardOptions options, Func<int> cudaDevices)
    {
        string mode = (options.Devices ?? "").Trim().ToLowerInvariant();
        if (!Modes.Contains(mode))
        {
            throw new InvalidOperationException($"{Setting} must be one of {string.Join(", ", Modes)}; got '{options.Devices}'.");
        }
        if (options.SimulatedForward > TimeSpan.Zero)
        {
            return Many(ShardDeviceKind.Simulated, options.Shards);
        }
        if (mode == "cpu")
        {
            return Many(ShardDeviceKind.Cpu, options.Shards);
        }
        int cuda = cudaDevices();
        if (cuda > 0)
        {
            return Many(ShardDeviceKind.Cuda, cuda);
        }
        if (mode == "cuda")
        {
            throw new InvalidOperationException(
                $"{Setting} is 'cuda' but TorchSharp sees no CUDA device (torch.cuda.is_available() is false): this silo was built " +
                "with the CPU backend (TorchSharp-cpu; the GPU build is -p:LoomGpu=true), or the process sees no GPU or driver " +
                "(CUDA_VISIBLE_DEVICES, the NVIDIA container toolkit, the pod's nvidia.com/gpu limit). " +
                $"Set {Setting} to 'auto' or 'cpu' to run CPU shards.");
        }
        return Many(ShardDeviceKind.Cpu, options.Shards);
    }

    /// <summary>CUDA devices TorchSharp sees: 0 with the CPU backend or without a GPU and driver.</summary>
    public static int CudaDeviceCount() => torch.cuda.is_available() ? torch.cuda.device_count() : 0;

    private static ShardDevice[] Many(ShardDeviceKind kind, int count)
        => Enumerable.Range(0, Math.Max(0, count)).Select(i => new ShardDevice(kind, i)).ToArray();
}
