using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Loom.Client.Cli;
using Loom.Client.Hub;
using Loom.Embedded.ModelFolders;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom models pull REPO_ID</c>: downloads from the Hugging Face hub the files a Wan model needs (not its
/// <c>assets/</c>, <c>examples/</c> or README) into a model folder, resuming broken transfers, checking every file against
/// the hub's checksum, with <c>HF_TOKEN</c> for gated repositories and the hub at <c>--endpoint</c> or <c>HF_ENDPOINT</c>.
/// </summary>
internal sealed partial class ModelsPullCommand : Command
{
    private const string DefaultEndpoint = "https://huggingface.co";

    private readonly Argument<string> _repo = new("repo") { Description = "The hub repository, e.g. Wan-AI/Wan2.1-T2V-1.3B or Wan-AI/Wan2.2-T2V-A14B-Diffusers." };
    private readonly Option<string> _revision = new("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => "main" };
    private readonly Option<string?> _dir = new("--dir") { Description = "Where the model goes (default: the models folder / the repository's name)." };
    private readonly Option<string> _models = ModelsCommand.FolderOption();
    private readonly Option<string?> _endpoint = new("--endpoint") { Description = $"The hub's address (default: $HF_ENDPOINT, else {DefaultEndpoint})." };

    public ModelsPullCommand(GlobalOptions globals)
        : base("pull", "Download a Wan model from the Hugging Face hub (resumable, checksum-verified; HF_TOKEN for gated repositories).")
    {
        Arguments.Add(_repo);
        Options.Add(_revision);
        Options.Add(_dir);
        Options.Add(_models);
        Options.Add(_endpoint);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            string repoId = parse.GetValue(_repo)!.Trim('/');
            if (!RepoId().IsMatch(repoId))
            {
                throw new CliException(ExitCodes.Usage, $"repo: '{repoId}' is not a hub repository id (owner/name, e.g. Wan-AI/Wan2.1-T2V-1.3B).", "repo");
            }
            Uri endpoint = Endpoint(parse.GetValue(_endpoint));
            string revision = parse.GetValue(_revision)!;
            string directory = parse.GetValue(_dir) ?? Path.Combine(parse.GetValue(_models)!, repoId[(repoId.IndexOf('/') + 1)..]);
            using var hub = new HubClient(endpoint, Environment.GetEnvironmentVariable("HF_TOKEN"));
            HubRepository repository = await hub.ListAsync(repoId, revision, cancellationToken);
            List<HubFile> needed = [.. repository.Files.Where(f => LocalModels.IsModelFile(f.Path))];
            List<HubFile> left = [.. repository.Files.Where(f => !LocalModels.IsModelFile(f.Path))];
            if (needed.Count == 0)
            {
                throw new CliException(ExitCodes.ModelInvalid, $"{repoId} holds no file of a Wan model ({repository.Files.Count} files, none a Wan config, weight, VAE, text encoder or tokenizer).", "repo");
            }
            long total = needed.Sum(f => f.Size ?? 0);
            terminal.Line($"pull {repoId}@{revision} (commit {Short(repository.Commit)}) from {hub.Endpoint} into {directory}: {needed.Count} files, {ByteSize.Format(total)}");
            if (left.Count > 0)
            {
                terminal.Line($"leaving {left.Count} files that are not part of the model: {string.Join(", ", left.Select(f => f.Path).Take(6))}{(left.Count > 6 ? ", ..." : "")}");
            }
            Directory.CreateDirectory(directory);
            IReadOnlyList<PullManifest.Entry> verified;
            IReadOnlyList<string> failures;
            if (terminal.Interactive)
            {
                (verified, failures) = await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(context => new ModelPull(hub, repository, directory, new SpectrePullProgress(context)).RunAsync(needed, cancellationToken));
            }
            else
            {
                (verified, failures) = await new ModelPull(hub, repository, directory, new PlainPullProgress(terminal)).RunAsync(needed, cancellationToken);
            }
            new PullManifest(hub.Endpoint.ToString(), repoId, revision, repository.Commit, verified).Write(directory);
            foreach (string failure in failures)
            {
                terminal.Error(failure, ExitCodes.ModelInvalid);
            }
            ModelFolder model = LocalModels.Inspect(directory);
            if (terminal.Json)
            {
                JsonObject json = ModelView.Json(model);
                json["repo"] = repoId;
                json["revision"] = revision;
                json["commit"] = repository.Commit;
                json["failed"] = new JsonArray([.. failures.Select(f => (JsonNode)JsonValue.Create(f)!)]);
                terminal.WriteJson(json);
            }
            else
            {
                terminal.Line(ModelView.Summary(model));
                foreach (string problem in model.Problems)
                {
                    terminal.Line($"  problem: {problem}");
                }
            }
            if (failures.Count > 0)
            {
                throw new CliException(ExitCodes.ModelInvalid, $"{failures.Count} of {needed.Count} files failed; what was verified is kept, run the pull again to finish.");
            }
            if (!model.IsModel)
            {
                throw new CliException(ExitCodes.ModelInvalid, $"{repoId} was pulled, but {directory} is not a complete Wan model ({model.Problems.Count} problem(s) above).");
            }
            return ExitCodes.Ok;
        });
    }

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;

    private static Uri Endpoint(string? option)
    {
        string? env = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        string text = option ?? (string.IsNullOrEmpty(env) ? DefaultEndpoint : env);
        string field = option is not null ? "endpoint" : "HF_ENDPOINT";
        return Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new CliException(ExitCodes.Usage, $"{(option is not null ? "--endpoint" : "HF_ENDPOINT")}: '{text}' is not an http(s) address.", field);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex RepoId();
}
