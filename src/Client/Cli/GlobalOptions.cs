using System.CommandLine;

namespace Loom.Client.Cli;

/// <summary>Options every command takes: where the server is, how to authenticate, and how to print.</summary>
internal sealed class GlobalOptions
{
    public Option<Uri?> Server { get; } = new("--server")
    {
        Description = "Address of a running silo's gRPC endpoint, e.g. http://localhost:5000. Without it, render boots an embedded silo in-process.",
        Recursive = true,
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            if (!text.Contains("://", StringComparison.Ordinal))
            {
                text = "http://" + text;
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
            {
                return uri;
            }
            r.AddError($"--server: '{r.Tokens[0].Value}' is not an http(s) address.");
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

    /// <summary>The API key given, or the environment's.</summary>
    public string? ApiKeyOf(ParseResult parse)
        => parse.GetValue(ApiKey) is { Length: > 0 } key ? key : Environment.GetEnvironmentVariable("LOOM_API_KEY");
}
