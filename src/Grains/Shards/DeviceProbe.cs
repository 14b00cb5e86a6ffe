using System.Globalization;

namespace Loom.Grains.Shards;

/// <summary>
/// A shard's device as an operator reads it in <c>loom cluster</c>: its name (the GPU's, or the CPU model) and the memory
/// free on it. CUDA: the driver's own numbers for this process (<c>cuMemGetInfo</c>); CPU: <c>/proc/meminfo</c>
/// MemAvailable, capped by the container's cgroup memory limit where one is set.
/// </summary>
public sealed class DeviceProbe : IDisposable
{
    private readonly ShardDevice _device;
    private readonly IntPtr _context;

    /// <summary>Opens the device for reporting; a GPU whose driver cannot be asked is named with the reason, its memory unknown.</summary>
    public DeviceProbe(ShardDevice device)
    {
        _device = device;
        switch (device.Kind)
        {
            case ShardDeviceKind.Cuda:
                try
                {
                    (Name, _context) = CudaDriver.Open(device.Index);
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
                {
                    Name = $"CUDA device {device.Index} (not described: {e.Message})";
                }
                break;
            case ShardDeviceKind.Cpu:
                Name = CpuModel();
                break;
            default:
                Name = "none (simulated)";
                break;
        }
    }

    /// <summary>The device's name: <c>NVIDIA H200</c>, <c>AMD EPYC 9454 48-Core Processor</c>, ...</summary>
    public string Name { get; }

    /// <summary>Bytes free and in all on the device now; -1 each where unknown (a simulated shard, a driver that cannot be asked).</summary>
    public (long Free, long Total) Memory()
    {
        try
        {
            return _device.Kind switch
            {
                ShardDeviceKind.Cuda when _context != IntPtr.Zero => CudaDriver.Memory(_context),
                ShardDeviceKind.Cpu => HostMemory(),
                _ => (-1, -1),
            };
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or FormatException)
        {
            return (-1, -1);
        }
    }

    /// <summary>The first <c>model name</c> of <c>/proc/cpuinfo</c>, or the processor architecture where there is none.</summary>
    public static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc hidden: fall back to the architecture.
        }
        return $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} CPU";
    }

    /// <summary>
    /// MemAvailable and MemTotal of <c>/proc/meminfo</c>; inside a cgroup v2 memory limit (a pod's), the room left under
    /// the limit and the limit, where smaller.
    /// </summary>
    public static (long Free, long Total) HostMemory()
    {
        long available = -1, total = -1;
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kilobytes(line);
            }
            else if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kilobytes(line);
            }
        }
        const string limitFile = "/sys/fs/cgroup/memory.max", usedFile = "/sys/fs/cgroup/memory.current";
        if (File.Exists(limitFile) && File.Exists(usedFile)
            && long.TryParse(File.ReadAllText(limitFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long limit)
            && long.TryParse(File.ReadAllText(usedFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long used)
            && (total < 0 || limit < total))
        {
            total = limit;
            available = available < 0 ? limit - used : Math.Min(available, Math.Max(0, limit - used));
        }
        return (available, total);
    }

    private static long Kilobytes(string line)
        => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.None, CultureInfo.InvariantCulture) * 1024;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_context != IntPtr.Zero)
        {
            CudaDriver.Close(_device.Index);
        }
    }
}
