using System.Net;
using System.Net.Sockets;
using Loom.Silo;
using Microsoft.AspNetCore.Builder;

namespace Loom.Embedded;

/// <summary>
/// A whole Loom silo inside this process (Orleans, shards and the gRPC endpoint) on free loopback ports, with its state
/// under a temporary folder that goes away with it. The CLI talks to it over real gRPC, exactly as to a remote one.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _root;

    private EmbeddedSilo(WebApplication app, string root)
    {
        _app = app;
        _root = root;
        Address = LoomSiloHost.GrpcAddress(app);
    }

    /// <summary>The gRPC endpoint, <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    /// <summary>Boots a silo that serves the models in <paramref name="modelDirectory"/>.</summary>
    public static async Task<EmbeddedSilo> StartAsync(string modelDirectory, CancellationToken cancellationToken = default)
    {
        string root = Path.Combine(Path.GetTempPath(), $"loom-embedded-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        int[] ports = FreePorts(2);
        string[] args =
        [
            "--Loom:GrpcPort=0",
            $"--Loom:SiloPort={ports[0]}",
            $"--Loom:GatewayPort={ports[1]}",
            $"--Loom:ClusterId=loom-embedded-{Environment.ProcessId}",
            $"--Loom:DataDirectory={Path.Combine(root, "data")}",
            $"--Loom:ModelDirectory={modelDirectory}",
            $"--Loom:OutputDirectory={Path.Combine(root, "out")}",
            // The CLI owns the terminal: the silo keeps quiet unless something is really wrong, and never on stdout.
            "--Logging:LogLevel:Default=Error",
            "--Logging:LogLevel:Orleans=Error",
            "--Logging:LogLevel:Microsoft=Error",
            // Readiness is probed by nobody here; a slow start would only log an "unhealthy" line.
            "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None",
            "--Logging:Console:LogToStandardErrorThreshold=Trace",
        ];
        // Its own empty folder as content root: no appsettings.json of the silo's (ports, logging) applies to it.
        WebApplication app = LoomSiloHost.Build(args, contentRoot: root);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            TryDelete(root);
            throw;
        }
        return new EmbeddedSilo(app, root);
    }

    /// <summary>
    /// The folder of bundled models: <c>models/</c> beside the executable, else the nearest <c>models/</c> with weights
    /// above it (a source checkout).
    /// </summary>
    public static string? FindModels()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar)))
        {
            string candidate = Path.Combine(dir, "models");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.safetensors").Any())
            {
                return candidate;
            }
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _app.StopAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync();
        TryDelete(_root);
    }

    private static int[] FreePorts(int count)
    {
        // Hold every listener until all are chosen, so the same port is never handed out twice.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Start();
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
