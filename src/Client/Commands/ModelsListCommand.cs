using System.CommandLine;
using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Hub;
using Loom.Embedded.ModelFolders;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary><c>loom models list</c>: every model under the models folder with its kind, layout, size and state.</summary>
internal sealed class ModelsListCommand : Command
{
    private readonly Option<string> _models = ModelsCommand.FolderOption();

    public ModelsListCommand(GlobalOptions globals)
        : base("list", "List the models in the models folder: Wan folders (recognised from their files) and Loom world models.")
    {
        Options.Add(_models);
        CommandAction.Bind(this, globals, (parse, terminal, cancellationToken) =>
        {
            string folder = parse.GetValue(_models)!;
            if (!Directory.Exists(folder))
            {
                throw new CliException(ExitCodes.NotFound, $"--models: '{folder}' is not a folder.", "models");
            }
            var rows = new List<(string Name, string Family, string Kind, string Layout, long Bytes, string State, JsonObject Json)>();
            foreach (ModelFolder model in LocalModels.Scan(folder))
            {
                string state = model.IsModel ? "ok" : model.Problems.Count == 1 ? model.Problems[0] : $"{model.Problems[0]} (+{model.Problems.Count - 1} more)";
                rows.Add((model.Name, model.Family ?? "-", model.Kind ?? "-", model.Layout ?? "-", model.Bytes, state, ModelView.Json(model)));
            }
            if (terminal.Json)
            {
                foreach (var row in rows)
                {
                    terminal.WriteJson(row.Json);
                }
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("model", "family", "kind", "layout", "size", "state");
            foreach (var row in rows)
            {
                table.AddRow(Markup.Escape(row.Name), row.Family, row.Kind, row.Layout, ByteSize.Format(row.Bytes), Markup.Escape(row.State));
            }
            AnsiConsole.Write(table);
            terminal.Line($"{rows.Count(r => r.State == "ok")} usable of {rows.Count} in {Path.GetFullPath(folder)}");
            return Task.FromResult(ExitCodes.Ok);
        });
    }
}
