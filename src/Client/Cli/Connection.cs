using System.CommandLine;
using Loom.Client.Api;
using Loom.Embedded;

namespace Loom.Client.Cli;

/// <summary>A client on either the server named by <c>--server</c> or an embedded silo that lives as long as this object.</summary>
internal sealed class Connection : IAsyncDisposable
{
    private readonly EmbeddedSilo? _embedded;

    private Connection(LoomClient client, string server, EmbeddedSilo? embedded)
    {
        Client = client;
        Server = server;
        _embedded = embedded;
    }

    public LoomClient Client { get; }

    /// <summary>The server's address, or <c>embedded</c>.</summary>
    public string Server { get; }

    public bool IsEmbedded => _embedded is not null;

    /// <summary>Connects to <c>--server</c>; a command that cannot work without one says so.</summary>
    public static Connection Remote(ParseResult parse, GlobalOptions globals, string command)
    {
        Uri server = parse.GetValue(globals.Server)
            ?? throw new CliException(ExitCodes.Usage, $"loom {command} needs --server URL (a running silo; an embedded one lives only as long as one render).", "server");
        return new Connection(ClientFor(globals.ServersOf(parse), parse, globals), server.ToString(), null);
    }

    /// <summary>Connects to <c>--server</c> when given, else boots an embedded silo serving <paramref name="modelDirectory"/> (or the bundled models).</summary>
    public static async Task<Connection> OpenAsync(ParseResult parse, GlobalOptions globals, string? modelDirectory, Action<string> status, CancellationToken cancellationToken)
    {
        if (parse.GetValue(globals.Server) is Uri server)
        {
            return new Connection(ClientFor(globals.ServersOf(parse), parse, globals), server.ToString(), null);
        }
        string models = modelDirectory ?? EmbeddedSilo.FindModels()
            ?? throw new CliException(ExitCodes.Usage, "no models found beside loom or above it; pass --models DIR or --server URL.", "models");
        if (!Directory.Exists(models) || (!Directory.EnumerateFiles(models, "*.safetensors").Any() && !Directory.EnumerateDirectories(models).Any()))
        {
            throw new CliException(ExitCodes.Usage, $"--models: '{models}' holds no *.safetensors weights and no model folder.", "models");
        }
        status($"starting an embedded silo (models: {models})");
        EmbeddedSilo silo;
        try
        {
            silo = await EmbeddedSilo.StartAsync(Path.GetFullPath(models), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CliException(ExitCodes.Unavailable, $"the embedded silo did not start: {e.GetType().Name}: {e.Message}");
        }
        return new Connection(ClientFor([silo.Address], parse, globals), "embedded", silo);
    }

    private static LoomClient ClientFor(IReadOnlyList<Uri> addresses, ParseResult parse, GlobalOptions globals)
        => LoomClient.Connect(addresses, globals.ApiKeyOf(parse), TimeSpan.FromSeconds(parse.GetValue(globals.Timeout)));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
