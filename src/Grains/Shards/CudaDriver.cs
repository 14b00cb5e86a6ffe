using System.Runtime.InteropServices;
using System.Text;

namespace Loom.Grains.Shards;

/// <summary>
/// The few CUDA driver calls a shard reports its GPU with (name, free and total memory), which TorchSharp does not
/// expose. Bound to <c>libcuda.so.1</c>, which the NVIDIA driver (and the container toolkit) puts on every GPU host;
/// device ordinals are CUDA's own, so they match torch's <c>cuda:N</c> under <c>CUDA_VISIBLE_DEVICES</c>.
/// </summary>
internal static class CudaDriver
{
    private const string Library = "libcuda.so.1";

    /// <summary>Initialises the driver and returns device <paramref name="ordinal"/>'s name and its primary context, retained.</summary>
    /// <exception cref="InvalidOperationException">A driver call failed (the message names it and its error code).</exception>
    /// <exception cref="DllNotFoundException">No <c>libcuda.so.1</c> on this host.</exception>
    public static (string Name, IntPtr Context) Open(int ordinal)
    {
        Check(cuInit(0), "cuInit");
        Check(cuDeviceGet(out int device, ordinal), "cuDeviceGet");
        byte[] name = new byte[256];
        Check(cuDeviceGetName(name, name.Length, device), "cuDeviceGetName");
        // The primary context is the one the CUDA runtime (and so libtorch) uses: retaining it creates no second context.
        Check(cuDevicePrimaryCtxRetain(out IntPtr context, device), "cuDevicePrimaryCtxRetain");
        int end = Array.IndexOf(name, (byte)0);
        return (Encoding.ASCII.GetString(name, 0, end < 0 ? name.Length : end), context);
    }

    /// <summary>Free and total bytes of the device whose primary context is <paramref name="context"/>, as this process sees them.</summary>
    /// <exception cref="InvalidOperationException">A driver call failed.</exception>
    public static (long Free, long Total) Memory(IntPtr context)
    {
        Check(cuCtxPushCurrent(context), "cuCtxPushCurrent");
        try
        {
            Check(cuMemGetInfo(out nuint free, out nuint total), "cuMemGetInfo");
            return ((long)free, (long)total);
        }
        finally
        {
            cuCtxPopCurrent(out _);
        }
    }

    /// <summary>Releases the primary context <see cref="Open"/> retained for device <paramref name="ordinal"/>.</summary>
    public static void Close(int ordinal)
    {
        if (cuDeviceGet(out int device, ordinal) == 0)
        {
            cuDevicePrimaryCtxRelease(device);
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{call} failed with CUDA error {result}.");
        }
    }

    [DllImport(Library)]
    private static extern int cuInit(uint flags);

    [DllImport(Library)]
    private static extern int cuDeviceGet(out int device, int ordinal);

    [DllImport(Library)]
    private static extern int cuDeviceGetName(byte[] name, int length, int device);

    [DllImport(Library)]
    private static extern int cuDevicePrimaryCtxRetain(out IntPtr context, int device);

    [DllImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    private static extern int cuDevicePrimaryCtxRelease(int device);

    [DllImport(Library, EntryPoint = "cuCtxPushCurrent_v2")]
    private static extern int cuCtxPushCurrent(IntPtr context);

    [DllImport(Library, EntryPoint = "cuCtxPopCurrent_v2")]
    private static extern int cuCtxPopCurrent(out IntPtr context);

    [DllImport(Library, EntryPoint = "cuMemGetInfo_v2")]
    private static extern int cuMemGetInfo(out nuint free, out nuint total);
}
