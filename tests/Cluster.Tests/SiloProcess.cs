using System.Diagnostics;
using System.Text;

namespace Loom.Cluster.Tests;

/// <summary>
/// A real <c>loom-silo</c> process of a test cluster, on free ports (silo, gateway, gRPC API and metrics). Kill it to
/// simulate a node dying, or terminate it (SIGTERM) to make it drain. Also compiled into tests/EndToEnd.Tests.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private SiloProcess(Process process, int siloPort, int gatewayPort, int grpcPort, int metricsPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; }

    /// <summary>Gateway port.</summary>
    public int GatewayPort { get; }

    /// <summary>Port of the gRPC API (loopback, HTTP/2 cleartext).</summary>
    public int GrpcPort { get; }

    /// <summary>Port of <c>/metrics</c> (HTTP/1.1).</summary>
    public int MetricsPort { get; }

    /// <summary>CPU time the process has used so far (user and system, all its threads).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The process's resident memory now, in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>What the silo printed.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts a silo with <paramref name="settings"/> (configuration keys under <c>Loom:</c>; a <c>GrpcPort</c> or <c>MetricsPort</c> there is kept).</summary>
    public static SiloProcess Start(IReadOnlyDictionary<string, string> settings, int? siloPort = null, int? gatewayPort = null)
    {
        int silo = siloPort ?? Ports.Free(), gateway = gatewayPort ?? Ports.Free();
        int grpc = settings.TryGetValue("GrpcPort", out string? given) ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : Ports.Free();
        int metrics = settings.TryGetValue("MetricsPort", out string? metricsGiven) ? int.Parse(metricsGiven, System.Globalization.CultureInfo.InvariantCulture) : Ports.Free();
        string dll = SiloBinary();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        IEnumerable<KeyValuePair<string, string>> ports =
            [new("SiloPort", silo.ToString()), new("GatewayPort", gateway.ToString()), new("GrpcPort", grpc.ToString()), new("MetricsPort", metrics.ToString())];
        foreach (var (key, value) in settings.Where(s => s.Key is not ("GrpcPort" or "MetricsPort")).Concat(ports))
        {
            start.ArgumentList.Add($"--Loom:{key}={value}");
        }
        start.Environment["DOTNET_gcServer"] = "0";
        return new SiloProcess(Process.Start(start)!, silo, gateway, grpc, metrics);
    }

    /// <summary>
    /// Sends SIGTERM, as Kubernetes does to a pod it stops, and waits up to <paramref name="timeout"/> for the process to
    /// exit; returns its exit code and how long it took, or null for the code if it was still running (then it is killed).
    /// </summary>
    public async Task<(int? ExitCode, TimeSpan Elapsed)> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (_process.HasExited)
        {
            return (_process.ExitCode, TimeSpan.Zero);
        }
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -TERM {_process.Id} exited {kill.ExitCode}");
            }
        }
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return (_process.ExitCode, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return (null, clock.Elapsed);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. <c>STOP</c> to hang the silo as a stuck node, <c>CONT</c> to let it go on).</summary>
    public async Task SignalAsync(string signal)
    {
        using Process kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Kills the process outright, as a crashed node: no graceful shutdown, no membership goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    /// <summary>The repository root: the folder with Cluster.sln above this test build.</summary>
    public static string RepositoryRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Cluster.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        }
        return root;
    }

    /// <summary>The built silo next to this test build (same configuration).</summary>
    private static string SiloBinary()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        string root = RepositoryRoot();
        string dll = Path.Combine(root, "src", "Silo", "bin", configuration, "net10.0", "loom-silo.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the silo first: {dll} is missing.");
    }
}
