using System.Diagnostics;
using System.Text;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// The real, built <c>loom</c> CLI (<c>src/Client/bin/&lt;Configuration&gt;/net10.0/loom.dll</c>) run as a process, the
/// way a user runs it: arguments in, exit code, stdout and stderr out.
/// </summary>
public sealed class LoomCli : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private LoomCli(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The process id (to signal it).</summary>
    public int Id => _process.Id;

    /// <summary>What it printed on stdout so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>What it printed on stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>loom <paramref name="args"/></c> in <paramref name="workingDirectory"/>, output redirected (so: no progress bars).</summary>
    public static LoomCli Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string?>(), args);

    /// <summary>Starts <c>loom <paramref name="args"/></c> with <paramref name="environment"/> set (a null value unsets a variable).</summary>
    public static LoomCli Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Binary);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment.Remove("LOOM_API_KEY");
        start.Environment.Remove("HF_TOKEN");
        start.Environment.Remove("HF_ENDPOINT");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return new LoomCli(Process.Start(start)!);
    }

    /// <summary>Runs <c>loom <paramref name="args"/></c> to its end.</summary>
    public static async Task<LoomResult> RunAsync(string workingDirectory, params string[] args)
    {
        using LoomCli cli = Start(workingDirectory, args);
        return await cli.WaitAsync(TimeSpan.FromMinutes(4));
    }

    /// <summary>Runs <c>loom <paramref name="args"/></c> to its end with <paramref name="environment"/> set.</summary>
    public static async Task<LoomResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using LoomCli cli = Start(workingDirectory, environment, args);
        return await cli.WaitAsync(TimeSpan.FromMinutes(4));
    }

    /// <summary>Waits for the process to end (killing it past <paramref name="timeout"/>).</summary>
    public async Task<LoomResult> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"loom did not finish in {timeout.TotalSeconds:F0} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit();
        return new LoomResult(_process.ExitCode, Stdout, Stderr);
    }

    /// <summary>Waits until stdout has a line that contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"loom never printed '{text}'.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt()
    {
        using Process kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (to)
        {
            to.AppendLine(line);
        }
    }

    private static string Binary
    {
        get
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
            string dll = Path.Combine(SiloFixture.RepositoryRoot, "src", "Client", "bin", configuration, "net10.0", "loom.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the CLI first: {dll} is missing.");
        }
    }
}
