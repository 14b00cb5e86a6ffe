using System.CommandLine;
using Grpc.Core;
using Loom.Client.Api;

namespace Loom.Client.Cli;

/// <summary>Runs a command's body and turns every way it can fail into a message and one of <see cref="ExitCodes"/>.</summary>
internal static class CommandAction
{
    /// <summary>Binds <paramref name="body"/> as the action of <paramref name="command"/>.</summary>
    public static void Bind(Command command, GlobalOptions globals, Func<ParseResult, Terminal, CancellationToken, Task<int>> body)
        => command.SetAction((parse, cancellationToken) => RunAsync(parse, globals, body, cancellationToken));

    private static async Task<int> RunAsync(ParseResult parse, GlobalOptions globals, Func<ParseResult, Terminal, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var terminal = new Terminal(parse.GetValue(globals.Json));
        string server = parse.GetValue(globals.Server)?.ToString() ?? "embedded";
        try
        {
            return await body(parse, terminal, cancellationToken);
        }
        catch (CliException e)
        {
            terminal.Error(e.Message, e.ExitCode, e.Field);
            return e.ExitCode;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            terminal.Error("interrupted", ExitCodes.Cancelled);
            return ExitCodes.Cancelled;
        }
        catch (RpcException e)
        {
            RpcFailure failure = RpcFailure.From(e, server);
            terminal.Error(failure.Message, failure.ExitCode, failure.Field);
            return failure.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            terminal.Error("interrupted", ExitCodes.Cancelled);
            return ExitCodes.Cancelled;
        }
        catch (HttpRequestException e)
        {
            terminal.Error($"server {server} unreachable: {e.Message}", ExitCodes.Unavailable);
            return ExitCodes.Unavailable;
        }
    }
}
