namespace Loom.Bench;

/// <summary>The machine's load average, printed beside timings (a busy machine inflates them).</summary>
public static class LoadAverage
{
    /// <summary>The 1, 5 and 15 minute load averages, as <c>uptime</c> prints them: <c>load 0.52 1.10 2.03</c>.</summary>
    public static string Now() => File.Exists("/proc/loadavg") ? "load " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "load n/a";
}
