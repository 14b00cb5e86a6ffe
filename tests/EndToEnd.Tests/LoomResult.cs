using System.Text.Json;

namespace Loom.EndToEnd.Tests;

/// <summary>How a <c>loom</c> run ended.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="Stdout">Everything on stdout.</param>
/// <param name="Stderr">Everything on stderr.</param>
public sealed record LoomResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The stdout lines that are JSON objects (<c>--json</c> output).</summary>
    public IReadOnlyList<JsonElement> JsonLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(l => l.StartsWith('{'))
        .Select(l => JsonDocument.Parse(l).RootElement.Clone())
        .ToList();

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
