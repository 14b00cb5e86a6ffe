using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Loom.Cluster.Tests;

/// <summary>A real <c>redis-server</c> on a free loopback port, with append-only persistence so a restart keeps its data.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loom-redis-").FullName;
    private Process? _process;

    private readonly string[] _arguments;

    private RedisServer(int port, string[] arguments)
    {
        Port = port;
        _arguments = arguments;
    }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>Connection string for Orleans and StackExchange.Redis.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts a server, with <paramref name="arguments"/> added to its command line (<c>--maxmemory 16mb</c>).</summary>
    public static async Task<RedisServer> StartAsync(params string[] arguments)
    {
        var server = new RedisServer(Ports.Free(), arguments);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Kills the server (no shutdown save) and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await LaunchAsync();
    }

    private async Task LaunchAsync()
    {
        string binary = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        var start = new ProcessStartInfo(binary, ["--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "", .. _arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"redis-server did not listen on {Port}.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }
}
