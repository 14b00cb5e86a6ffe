using System.CommandLine;
using Loom.Client.Cli;
using Loom.Client.Hub;
using Loom.Embedded.ModelFolders;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom models make-tiny --kind t2v|i2v|t2v-a14b|i2v-a14b --out DIR [--seed N]</c>: a random-weight Wan model in the
/// official layout, small enough that a whole job runs in seconds on a CPU (what every Wan test uses).
/// </summary>
internal sealed class ModelsMakeTinyCommand : Command
{
    private readonly Option<string> _kind = new("--kind") { Description = "t2v, i2v, t2v-a14b or i2v-a14b.", Required = true };
    private readonly Option<string> _out = new("--out") { Description = "The folder to write (created; must be empty or absent).", Required = true };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed of every weight (the same seed writes the same bytes).", DefaultValueFactory = _ => 0 };

    public ModelsMakeTinyCommand(GlobalOptions globals)
        : base("make-tiny", "Write a tiny random-weight Wan model folder (official layout) for tests and trials.")
    {
        Options.Add(_kind);
        Options.Add(_out);
        Options.Add(_seed);
        CommandAction.Bind(this, globals, (parse, terminal, cancellationToken) =>
        {
            string kind = parse.GetValue(_kind)!;
            string directory = parse.GetValue(_out)!;
            if (!LocalModels.TinyKinds.Contains(kind))
            {
                throw new CliException(ExitCodes.Usage, $"--kind: '{kind}' is not one of {string.Join(", ", LocalModels.TinyKinds)}.", "kind");
            }
            if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            {
                throw new CliException(ExitCodes.Usage, $"--out: '{directory}' is not empty.", "out");
            }
            ModelFolder model = LocalModels.MakeTiny(directory, kind, parse.GetValue(_seed));
            IReadOnlyList<string> problems = model.Problems;
            if (terminal.Json)
            {
                terminal.WriteJson(ModelView.Json(model));
            }
            else
            {
                terminal.Line(ModelView.Summary(model));
                foreach (ModelComponent component in model.Components)
                {
                    terminal.Line($"  {component.Role,-13} {component.Files.Count,3} file(s) {ByteSize.Format(component.Bytes),9}  {component.Path}");
                }
                foreach (string problem in problems)
                {
                    terminal.Line($"  problem: {problem}");
                }
            }
            return Task.FromResult(problems.Count == 0 ? ExitCodes.Ok : ExitCodes.ModelInvalid);
        });
    }
}
