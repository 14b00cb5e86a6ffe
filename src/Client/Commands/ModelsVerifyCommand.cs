using System.CommandLine;
using Loom.Client.Cli;
using Loom.Client.Hub;
using Loom.Embedded.ModelFolders;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom models verify NAME|DIR</c>: recognition plus every check that needs no weights loaded (files present and
/// of their size, safetensors headers, shard indexes, pickles) and, with <c>--sha256</c>, each file's checksum against
/// what the hub published when <c>loom models pull</c> fetched it.
/// </summary>
internal sealed class ModelsVerifyCommand : Command
{
    private readonly Argument<string> _model = new("model") { Description = "A model's folder name in the models folder, or a folder path." };
    private readonly Option<string> _models = ModelsCommand.FolderOption();
    private readonly Option<bool> _sha256 = new("--sha256") { Description = "Also hash every file against the hub's checksums recorded by loom models pull (reads every byte)." };

    public ModelsVerifyCommand(GlobalOptions globals)
        : base("verify", "Check that a model folder is complete and undamaged.")
    {
        Arguments.Add(_model);
        Options.Add(_models);
        Options.Add(_sha256);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            string given = parse.GetValue(_model)!;
            string inModels = Path.Combine(parse.GetValue(_models)!, given);
            string directory = Directory.Exists(inModels) ? inModels : Directory.Exists(given) ? given
                : throw new CliException(ExitCodes.NotFound, $"no model '{given}': neither {inModels} nor {given} is a folder.", "model");
            ModelFolder model = LocalModels.Verify(directory);
            var problems = new List<string>(model.Problems);
            string checksums = await AgainstPullAsync(model, parse.GetValue(_sha256), problems, cancellationToken);
            model = model with { Problems = problems };
            if (terminal.Json)
            {
                var json = ModelView.Json(model);
                json["checksums"] = checksums;
                terminal.WriteJson(json);
            }
            else
            {
                terminal.Line(ModelView.Summary(model));
                foreach (ModelComponent component in model.Components)
                {
                    terminal.Line($"  {component.Role,-13} {component.Files.Count,3} file(s) {ByteSize.Format(component.Bytes),9}  {component.Path}");
                }
                int files = model.Components.Sum(c => c.Files.Count);
                terminal.Line($"checked {files} files: present, safetensors headers and shard indexes, pickles, JSON{(checksums.Length > 0 ? "; " + checksums : "")}");
                foreach (string problem in problems)
                {
                    terminal.Line($"  problem: {problem}");
                }
                terminal.Line(problems.Count == 0 ? "ok" : $"{problems.Count} problem(s): {model.Name} is not usable as it is");
            }
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.ModelInvalid;
        });
    }

    /// <summary>
    /// Compares each component file the pull record knows with what the hub published: its size always, its checksum
    /// when <paramref name="hash"/>; adds a problem per mismatch and says what it compared.
    /// </summary>
    private static async Task<string> AgainstPullAsync(ModelFolder model, bool hash, List<string> problems, CancellationToken cancellationToken)
    {
        PullManifest? manifest = PullManifest.Read(model.Directory);
        if (manifest is null)
        {
            return hash ? $"no {PullManifest.FileName} (not pulled by loom): no published checksums to compare with" : "";
        }
        string source = $"{manifest.Repo}@{manifest.Commit[..Math.Min(12, manifest.Commit.Length)]}";
        var sizes = manifest.Files.ToDictionary(f => f.Path, f => f.Size, StringComparer.Ordinal);
        foreach (string file in model.Components.SelectMany(c => c.Files))
        {
            long length = new FileInfo(Path.Combine(model.Directory, file)).Length;
            if (sizes.TryGetValue(file, out long size) && size != length)
            {
                problems.Add($"{file}: {length} bytes, but {source} published {size}.");
            }
        }
        if (!hash)
        {
            return $"sizes against {source}";
        }
        var known = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        int checkedFiles = 0, unknown = 0;
        foreach (string file in model.Components.SelectMany(c => c.Files))
        {
            if (!known.TryGetValue(file, out PullManifest.Entry? entry))
            {
                unknown++;
                continue;
            }
            using ContentHash? checksum = ContentHash.For(new HubFile(entry.Path, entry.Size, entry.Sha256, entry.BlobId));
            if (checksum is null)
            {
                unknown++;
                continue;
            }
            await checksum.AppendFileAsync(Path.Combine(model.Directory, file), cancellationToken);
            string actual = checksum.Actual();
            checkedFiles++;
            if (actual != checksum.Expected)
            {
                problems.Add($"{file}: {checksum.Name} {actual}, but {source} published {checksum.Expected}.");
            }
        }
        return $"sizes and checksums of {checkedFiles} files against {source}{(unknown > 0 ? $" ({unknown} not in the pull record)" : "")}";
    }
}
