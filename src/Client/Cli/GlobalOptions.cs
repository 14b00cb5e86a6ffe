using System.CommandLine;

namespace Loom.Client.Cli;

/// <summary>Options every command takes: where the server is, how to authenticate, and how to print.</summary>
internal sealed class GlobalOptions
{
    public Option<Uri?> Server { get; } = new("--server")
    {
        Description = "Address of a running silo's gRPC endpoint, e.g. http://localhost:7070 (a silo's default port); several, comma-separated, to follow jobs on the next one when a silo drains or goes away. Without it, render boots an embedded silo in-process.",
        Recursive = true,
        CustomParser = r =>
        {
            Uri[] servers = ParseServers(r.Tokens[0].Value, out string? bad);
            if (bad is null)
            {
                return servers[0];
            }
            r.AddError($"--server: '{bad}' is not an http(s) address.");
            return null;
        },
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "API key, sent as the x-api-key header (default: $LOOM_API_KEY).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Machine-readable output: JSON lines on stdout, no progress bars.",
        Recursive = true,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Deadline of each unary call, in seconds.",
        Recursive = true,
        DefaultValueFactory = _ => 30,
    };

    /// <summary>Adds the options to <paramref name="root"/>, where they apply to every subcommand.</summary>
    public void AddTo(RootCommand root)
    {
        root.Options.Add(Server);
        root.Options.Add(ApiKey);
        root.Options.Add(Json);
        root.Options.Add(Timeout);
    }

    /// <summary>Every address <c>--server</c> names, the first first (empty without the option).</summary>
    public IReadOnlyList<Uri> ServersOf(ParseResult parse)
        => parse.GetResult(Server) is { Tokens.Count: > 0 } given ? ParseServers(given.Tokens[0].Value, out _) : [];

    /// <summary>A comma-separated list of addresses (<c>http://</c> assumed); <paramref name="bad"/> names the first that is not one.</summary>
    private static Uri[] ParseServers(string text, out string? bad)
    {
        var servers = new List<Uri>();
        bad = null;
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string address = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (part.Length > 0 && Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
            {
                servers.Add(uri);
            }
            else
            {
                bad ??= part;
            }
        }
        bad ??= servers.Count == 0 ? text : null;
        return [.. servers];
    }

    /// <summary>The API key given, or the environment's.</summary>
    public string? ApiKeyOf(ParseResult parse)
        => parse.GetValue(ApiKey) is { Length: > 0 } key ? key : Environment.GetEnvironmentVariable("LOOM_API_KEY");
}
