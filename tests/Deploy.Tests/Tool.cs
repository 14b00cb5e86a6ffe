using System.Diagnostics;

namespace Loom.Deploy.Tests;

/// <summary>A command-line tool these tests use where it is installed (kubectl, helm); CI may have neither.</summary>
internal static class Tool
{
    /// <summary>The tool's full path, or null when it is not on PATH.</summary>
    public static string? Find(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs the tool in the repository root; returns its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Output, string Error) Run(string name, params string[] args)
    {
        var start = new ProcessStartInfo(Find(name) ?? throw new InvalidOperationException($"{name} is not on PATH"))
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill();
            throw new TimeoutException($"{name} {string.Join(' ', args)} did not finish in a minute");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fact that needs a tool on PATH, reported as skipped (with the reason) where the tool is missing.</summary>
public sealed class NeedsToolFactAttribute : FactAttribute
{
    public NeedsToolFactAttribute(string tool)
    {
        if (Tool.Find(tool) is null)
        {
            Skip = $"{tool} is not on PATH on this machine, so this check did not run (install {tool} to run it)";
        }
    }
}
