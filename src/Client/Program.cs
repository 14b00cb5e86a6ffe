using System.CommandLine;
using Loom.Client;
using Loom.Client.Cli;
using Loom.Client.Commands;

// `loom`: render videos on a Loom silo (or an embedded one), run batches, follow and manage jobs. Exit codes: ExitCodes.
var globals = new GlobalOptions();
var root = new RootCommand("loom: render videos with flow-matching models and Predict-and-Perturb refinement on a Loom cluster.");
globals.AddTo(root);
root.Subcommands.Add(new RenderCommand(globals));
root.Subcommands.Add(new BatchCommand(globals));
root.Subcommands.Add(new StatusCommand(globals));
root.Subcommands.Add(new WatchCommand(globals));
root.Subcommands.Add(new CancelCommand(globals));
root.Subcommands.Add(new DownloadCommand(globals));
root.Subcommands.Add(new DeleteCommand(globals));
root.Subcommands.Add(new ListCommand(globals));
root.Subcommands.Add(new ClusterCommand(globals));
root.Subcommands.Add(new ModelsCommand(globals));

if (Console.IsOutputRedirected)
{
    // Tables in logs and pipes: do not wrap job ids at the 80 columns Spectre assumes without a terminal.
    Spectre.Console.AnsiConsole.Profile.Width = 200;
}

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (string error in ParseErrors.Explain(parse))
    {
        Console.Error.WriteLine($"loom: {error}");
    }
    Console.Error.WriteLine("loom: see 'loom --help'.");
    return ExitCodes.Usage;
}

// Ctrl-C is ours, not System.CommandLine's: the first one cancels the job on the server and exits 130.
using var interrupt = new Interrupt();
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
int code = await parse.InvokeAsync(invocation, interrupt.Token);
return code;
