using System.Diagnostics;
using Loom.Grains;
using Loom.Grains.Shards;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// <c>devices</c>: what a silo on this machine would run its shards on (<c>Loom:Devices</c> = <c>--devices</c>), as
/// TorchSharp sees it: each device's name and memory, a float32 matmul checked against the CPU's, and the matmul rate
/// (bf16 on CUDA, float32 on the CPU). Fails (exit 2) where <c>--devices cuda</c> finds no CUDA device.
/// </summary>
public static class DevicesBenchmark
{
    /// <summary>Runs it: <c>--devices auto|cpu|cuda --size N</c> (square matmul side for the rate).</summary>
    public static Task<BenchTable> RunAsync(BenchArguments args)
    {
        var options = new LoomShardOptions { Devices = args.Text("devices", "auto"), Shards = 1 };
        int size = args.Int("size", 8192);
        IReadOnlyList<ShardDevice> devices;
        try
        {
            devices = ShardDevices.Select(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        var table = new BenchTable("devices", new Dictionary<string, object>
        {
            ["devices"] = options.Devices,
            ["cuda available"] = cuda.is_available(),
            ["cuda devices"] = ShardDevices.CudaDeviceCount(),
            ["torch threads"] = get_num_threads(),
        }, ["shard", "name", "free GiB", "total GiB", "matmul max abs vs cpu", "matmul dtype", "size", "TFLOP/s"]);
        foreach (ShardDevice device in devices)
        {
            using var probe = new DeviceProbe(device);
            (long free, long total) = probe.Memory();
            double difference = CheckAgainstCpu(device.Torch);
            bool gpu = device.Kind == ShardDeviceKind.Cuda;
            int side = gpu ? size : Math.Min(size, 1024);
            ScalarType dtype = gpu ? ScalarType.BFloat16 : ScalarType.Float32;
            table.Add(device.Id, probe.Name, free / 1073741824.0, total / 1073741824.0, difference, dtype.ToString(), side, Rate(device.Torch, dtype, side));
        }
        table.Notes.Add("matmul max abs vs cpu: a 256x256 float32 product computed on the device and on the CPU (same inputs), largest difference.");
        table.Notes.Add("TFLOP/s: 2 n^3 per product, best of 5 timed after 2 warm-ups, synchronised.");
        return Task.FromResult(table);
    }

    private static double CheckAgainstCpu(Device device)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7, new Device(DeviceType.CPU));
        Tensor a = randn([256, 256], generator: generator), b = randn([256, 256], generator: generator);
        Tensor onDevice = a.to(device).matmul(b.to(device)).cpu();
        return (onDevice - a.matmul(b)).abs().max().item<float>();
    }

    private static double Rate(Device device, ScalarType dtype, int n)
    {
        using var scope = NewDisposeScope();
        Tensor a = randn([n, n], dtype: dtype, device: device), b = randn([n, n], dtype: dtype, device: device);
        double best = double.MaxValue;
        for (int i = 0; i < 7; i++)
        {
            Synchronize(device);
            long started = Stopwatch.GetTimestamp();
            using (Tensor product = a.matmul(b))
            {
                Synchronize(device);
            }
            if (i >= 2)
            {
                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
        return 2.0 * n * n * n / best / 1e12;
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }
}
