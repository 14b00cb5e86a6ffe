using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loom.Cluster.Tests;

/// <summary>
/// A real S3-compatible server (the npm package s3rver, under node) on a free loopback port, with one bucket. It checks
/// request signatures with its fixed credentials (<see cref="AccessKey"/>). Installed into tools/s3rver/node_modules by
/// .ci/run, or here on first use; tests that need it are <see cref="S3FactAttribute"/>s, skipped only without node.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    /// <summary>s3rver's access key id (its secret key is the same).</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>The bucket created at start.</summary>
    public const string Bucket = "loom-results";

    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly string _directory = Directory.CreateTempSubdirectory("loom-s3-").FullName;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private S3Server(int port) => Port = port;

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The endpoint (<c>Loom:Results:S3:ServiceUrl</c>).</summary>
    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Why S3 tests cannot run here (no node), or null.</summary>
    public static string? Unavailable { get; } = OnPath("node") ? null : "node is not installed (apt-get install nodejs npm): the S3 result-store tests need s3rver under node";

    /// <summary>The silo settings that point its result store here.</summary>
    public Dictionary<string, string> Settings(string prefix) => new()
    {
        ["Results:Store"] = "s3",
        ["Results:S3:ServiceUrl"] = ServiceUrl,
        ["Results:S3:Bucket"] = Bucket,
        ["Results:S3:Prefix"] = prefix,
        ["Results:S3:AccessKey"] = AccessKey,
        ["Results:S3:SecretKey"] = AccessKey,
        ["Results:S3:ForcePathStyle"] = "true",
    };

    /// <summary>Installs s3rver if it is missing, and starts a server.</summary>
    public static async Task<S3Server> StartAsync()
    {
        string script = await InstalledAsync();
        var server = new S3Server(Ports.Free());
        var start = new ProcessStartInfo("node", [script, "-d", server._directory, "-a", "127.0.0.1", "-p", server.Port.ToString(), "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        server._process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, server.Port);
                return server;
            }
            catch (SocketException) when (!server._process.HasExited)
            {
                await Task.Delay(50);
            }
        }
        string log = server.Log;
        await server.DisposeAsync();
        throw new TimeoutException($"s3rver did not listen on {server.Port}: {log}");
    }

    /// <summary>What the server printed.</summary>
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

    /// <summary>tools/s3rver's entry script, installed with npm first if it is not there.</summary>
    private static async Task<string> InstalledAsync()
    {
        string folder = Path.Combine(SiloProcess.RepositoryRoot(), "tools", "s3rver");
        string script = Path.Combine(folder, "node_modules", "s3rver", "bin", "s3rver.js");
        await Install.WaitAsync();
        try
        {
            if (!File.Exists(script))
            {
                var npm = Process.Start(new ProcessStartInfo("npm", ["install", "--prefix", folder, "--no-audit", "--no-fund", "--loglevel=error"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                }) ?? throw new InvalidOperationException("npm did not start (apt-get install npm).");
                Task<string> output = npm.StandardOutput.ReadToEndAsync(), errors = npm.StandardError.ReadToEndAsync();
                await npm.WaitForExitAsync();
                if (npm.ExitCode != 0 || !File.Exists(script))
                {
                    throw new InvalidOperationException($"npm install --prefix {folder} failed ({npm.ExitCode}): {await output}{await errors}");
                }
            }
            return script;
        }
        finally
        {
            Install.Release();
        }
    }

    private static bool OnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, program)));

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
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
