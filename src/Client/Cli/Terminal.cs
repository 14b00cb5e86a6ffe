using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Loom.Client.Cli;

/// <summary>
/// Where a command prints: Spectre.Console widgets when a person is watching, plain lines when the output is piped,
/// JSON lines (one object a line on stdout) with <c>--json</c>. Errors always go to stderr.
/// </summary>
internal sealed class Terminal(bool json)
{
    private static readonly JsonSerializerOptions _compact = new() { WriteIndented = false };

    /// <summary>True with <c>--json</c>.</summary>
    public bool Json { get; } = json;

    /// <summary>True when progress bars make sense: a terminal on stdout and no <c>--json</c>.</summary>
    public bool Interactive { get; } = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Writes one JSON object as a line on stdout.</summary>
    public void WriteJson(JsonNode node)
    {
        lock (this)
        {
            Console.Out.WriteLine(node.ToJsonString(_compact));
            Console.Out.Flush();
        }
    }

    /// <summary>Writes a plain line on stdout (not in JSON mode).</summary>
    public void Line(string text)
    {
        if (!Json)
        {
            lock (this)
            {
                Console.Out.WriteLine(text);
            }
        }
    }

    /// <summary>Writes an error line on stderr, and in JSON mode an error object on stdout.</summary>
    public void Error(string message, int exitCode, string? field = null)
    {
        Console.Error.WriteLine($"loom: {message}");
        if (Json)
        {
            WriteJson(new JsonObject { ["error"] = message, ["field"] = field, ["exit_code"] = exitCode });
        }
    }
}
