using System.CommandLine;
using Loom.Client.Cli;

namespace Loom.Client.Commands;

/// <summary><c>loom models</c>: the model folders on this machine, and downloads from the Hugging Face hub.</summary>
internal sealed class ModelsCommand : Command
{
    public ModelsCommand(GlobalOptions globals)
        : base("models", "List, verify and download models (Wan folders in the official or Diffusers layout).")
    {
        Subcommands.Add(new ModelsListCommand(globals));
        Subcommands.Add(new ModelsVerifyCommand(globals));
        Subcommands.Add(new ModelsPullCommand(globals));
        Subcommands.Add(new ModelsMakeTinyCommand(globals));
    }

    /// <summary>The <c>--models</c> option each subcommand takes: the folder the silo serves (its <c>Loom:ModelDirectory</c>).</summary>
    public static Option<string> FolderOption() => new("--models")
    {
        Description = "The models folder (the silo's Loom:ModelDirectory).",
        DefaultValueFactory = _ => "models",
    };
}
