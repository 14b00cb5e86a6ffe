using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Loom.Cluster.Tests;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// Mistakes caught early and said plainly: checkable render options refused before any silo starts, mistyped options
/// with a suggestion, values of the wrong type in words, flags that are flags; and loom-silo's own start-up (its
/// appsettings.json read from its folder, a port in use as one line).
/// </summary>
public sealed class CliUsageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-usage-").FullName;

    [Theory]
    [InlineData("--plan", "1-x:2", "--plan: item 1 ('1-x:2')")]
    [InlineData("--frames", "5000", "--frames: must be in 1..4096")]
    [InlineData("--given", "missing.png", "--given: 'missing.png' does not exist")]
    public async Task Checkable_options_are_refused_before_the_embedded_silo_starts(string option, string value, string expected)
    {
        LoomResult run = await LoomCli.RunAsync(_folder, "render", option, value, "--out", "never.gif");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("starting an embedded silo", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_option_gets_a_suggestion_and_a_wrong_type_is_said_in_words()
    {
        LoomResult typo = await LoomCli.RunAsync(_folder, "render", "--stpes", "3");
        Assert.True(typo.ExitCode == 2, typo.ToString());
        Assert.Contains("Did you mean '--steps'?", typo.Stderr, StringComparison.Ordinal);

        LoomResult command = await LoomCli.RunAsync(_folder, "rendr");
        Assert.True(command.ExitCode == 2, command.ToString());
        Assert.Contains("Did you mean 'render'?", command.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", command.Stderr, StringComparison.Ordinal);

        LoomResult type = await LoomCli.RunAsync(_folder, "render", "--steps", "many");
        Assert.True(type.ExitCode == 2, type.ToString());
        Assert.Contains("--steps: 'many' is not a whole number.", type.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", type.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exact_and_batched_are_flags_height_and_width_exist_and_help_shows_the_silo_port()
    {
        LoomResult both = await LoomCli.RunAsync(_folder, "render", "--exact", "--batched", "--server", "http://127.0.0.1:1");
        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.Contains("--exact and --batched", both.Stderr, StringComparison.Ordinal);

        LoomResult value = await LoomCli.RunAsync(_folder, "render", "--exact", "false");
        Assert.True(value.ExitCode == 2, value.ToString()); // a flag takes no value

        LoomResult help = await LoomCli.RunAsync(_folder, "render", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--height", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--width", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--batched", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("http://localhost:7070", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost:5000", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_port_and_its_setting()
    {
        using var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;

        (int code, string stdout, string stderr) = await RunSiloAsync(TimeSpan.FromSeconds(60), null, $"--Loom:GrpcPort={port}");

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal($"loom-silo: port {port} (Loom:GrpcPort) is already in use", stderr.Trim()[..$"loom-silo: port {port} (Loom:GrpcPort) is already in use".Length]);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Loom:EvaluationTimeout=-00:00:01", "Loom:EvaluationTimeout is -00:00:01; allowed: 00:00:01 to 1.00:00:00.")]
    [InlineData("--Loom:MaxBatch=0", "Loom:MaxBatch is 0; allowed: 1 to 1024.")]
    [InlineData("--Loom:MaxRunningJobs=0", "Loom:MaxRunningJobs is 0; allowed: 1 to 100000.")]
    [InlineData("--Loom:GrpcPort=70000", "Loom:GrpcPort is 70000; allowed: 0 to 65535.")]
    [InlineData("--Loom:DrainTimeout=02:00:00", "Loom:DrainTimeout is 02:00:00; allowed: 00:00:00 to 01:00:00.")]
    public async Task A_setting_out_of_range_stops_the_silo_naming_the_setting_and_its_range(string setting, string expected)
    {
        (int code, string stdout, string stderr) = await RunSiloAsync(TimeSpan.FromSeconds(60), null, setting);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal($"loom-silo: invalid settings: {expected}", stderr.Trim());
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loom_silo_started_from_another_folder_reads_its_own_appsettings()
    {
        // appsettings.json beside loom-silo sets Microsoft's log level to Warning: the host's "Application started"
        // (Information) line shows only if that file was not read.
        (int code, string stdout, string stderr) = await RunSiloAsync(TimeSpan.FromSeconds(90), "gRPC API (loom.v1) on", $"--Loom:GrpcPort={Ports.Free()}");

        Assert.True(code == -1, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("gRPC API (loom.v1) on", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Application started", stdout + stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs loom-silo from this test's folder until it exits (its code) or prints <paramref name="until"/> (then it is killed: -1).</summary>
    private async Task<(int Code, string Stdout, string Stderr)> RunSiloAsync(TimeSpan timeout, string? until, params string[] settings)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(SiloFixture.RepositoryRoot, "src", "Silo", "bin", configuration, "net10.0", "loom-silo.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string setting in settings.Concat([
            $"--Loom:SiloPort={Ports.Free()}", $"--Loom:GatewayPort={Ports.Free()}", $"--Loom:MetricsPort={Ports.Free()}",
            $"--Loom:DataDirectory={Path.Combine(_folder, "data")}", $"--Loom:OutputDirectory={Path.Combine(_folder, "out")}",
            $"--Loom:ModelDirectory={Path.Combine(SiloFixture.RepositoryRoot, "models")}", "--Loom:Shards=1"]))
        {
            start.ArgumentList.Add(setting);
        }
        start.Environment["DOTNET_gcServer"] = "0";
        using Process process = Process.Start(start)!;
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            lock (stdout)
            {
                if (until is not null && stdout.ToString().Contains(until, StringComparison.Ordinal))
                {
                    break;
                }
            }
            await Task.Delay(100);
        }
        int code = -1;
        if (process.HasExited)
        {
            process.WaitForExit();
            code = process.ExitCode;
        }
        else
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (stdout)
        {
            lock (stderr)
            {
                return (code, stdout.ToString(), stderr.ToString());
            }
        }
    }
}
