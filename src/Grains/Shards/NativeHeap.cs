using System.Runtime.InteropServices;

namespace Loom.Grains.Shards;

/// <summary>
/// How glibc's allocator serves libtorch's tensors in a silo process. A job step allocates and frees tensors of the
/// latent's size (megabytes) a few dozen times, from whichever thread-pool thread runs it. By default glibc gives each
/// such thread its own arena, trims freed memory back to the kernel and maps large blocks afresh, so most tensors
/// start as untouched pages: on a virtual machine the page faults cost more than the arithmetic (bench/results/
/// profile-step.txt: a third of a long-video step's arithmetic, and 47K faults in 4 s over four silos). Configured
/// once per process: one arena, blocks up to 32 MB (glibc's largest) from the heap, and up to 512 MB of freed heap
/// kept for reuse. An operator's own <c>MALLOC_ARENA_MAX</c>, <c>MALLOC_MMAP_THRESHOLD_</c> or
/// <c>MALLOC_TRIM_THRESHOLD_</c> wins over the setting it names.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1, MmapThreshold = -3, ArenaMax = -8;
    private static readonly Lazy<IReadOnlyList<string>> Applied = new(Apply);

    /// <summary>
    /// Applies the settings once per process; later calls return what the first applied: <c>VARIABLE=value</c> for each
    /// (for the log), none where the operator set them all or the C library is not glibc.
    /// </summary>
    public static IReadOnlyList<string> Configure() => Applied.Value;

    private static IReadOnlyList<string> Apply()
    {
        var applied = new List<string>(3);
        if (!OperatingSystem.IsLinux())
        {
            return applied;
        }
        try
        {
            Apply("MALLOC_ARENA_MAX", ArenaMax, 1, applied);
            Apply("MALLOC_MMAP_THRESHOLD_", MmapThreshold, 32 << 20, applied);
            Apply("MALLOC_TRIM_THRESHOLD_", TrimThreshold, 512 << 20, applied);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no mallopt): its allocator's defaults stay.
        }
        return applied;
    }

    private static void Apply(string variable, int parameter, int value, List<string> applied)
    {
        if (Environment.GetEnvironmentVariable(variable) is null && mallopt(parameter, value) == 1)
        {
            applied.Add($"{variable}={value}");
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
