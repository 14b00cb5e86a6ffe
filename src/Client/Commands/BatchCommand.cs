using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Loom.Client.Api;
using Loom.Client.Batch;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Client.Rendering;
using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom batch &lt;manifest.jsonl&gt; --out DIR</c>: one job per manifest line, submitted with SubmitBatch under
/// idempotency keys derived from the lines; each item's video and sidecar go to <c>DIR/&lt;id&gt;.&lt;ext&gt;[.json]</c>.
/// Resumable: items whose output and sidecar are there and match are skipped without a call, finished jobs are
/// downloaded rather than rendered again, failed ones get a new attempt. At most <c>--max-in-flight</c> jobs are
/// submitted and unfinished at a time; one overall progress line; <c>DIR/index.jsonl</c> lists items as they finish.
/// Ctrl-C detaches (the jobs go on; rerun to collect them), <c>--cancel-on-exit</c> cancels them instead.
/// Exits 1 when any item is invalid or failed.
/// </summary>
internal sealed class BatchCommand : Command
{
    private readonly GlobalOptions _globals;
    private readonly Argument<FileInfo?> _manifest = new("manifest") { Description = "JSONL file: one job per line, fields named like the render options in snake_case (optional with --prompts or --seeds).", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<FileInfo?> _prompts = new("--prompts") { Description = "Text file, one prompt a line: every manifest line (or one item of defaults) once per prompt." };
    private readonly Option<string?> _seeds = new("--seeds") { Description = "Seeds, e.g. 0-99 or 0-9,100-109: every item once per seed (ids get -p<n> and -s<seed>)." };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder for the items' videos and sidecars.", Required = true };
    private readonly Option<string> _format = new("--format") { Description = "Output format of every item.", DefaultValueFactory = _ => "mp4" };
    private readonly Option<int?> _scale = new("--scale") { Description = "Nearest-neighbour upscale (default 8 for mp4/gif, 1 otherwise)." };
    private readonly Option<int> _fps = new("--fps") { Description = "Frames per second of mp4/gif.", DefaultValueFactory = _ => 8 };
    private readonly Option<string?> _models = new("--models") { Description = "Embedded mode: folder of model weights (default: the bundled models)." };
    private readonly Option<int> _maxInFlight = new("--max-in-flight") { Description = "Most jobs submitted and not yet finished at a time.", DefaultValueFactory = _ => 64 };
    private readonly Option<bool> _cancelOnExit = new("--cancel-on-exit") { Description = "On Ctrl-C cancel the batch's unfinished jobs (default: detach; they go on, and a rerun collects them)." };

    public BatchCommand(GlobalOptions globals)
        : base("batch", "Render every line of a JSONL manifest (x prompts x seeds); rerun to resume.")
    {
        _globals = globals;
        _format.AcceptOnlyFromAmong("mp4", "gif", "png", "safetensors");
        Arguments.Add(_manifest);
        foreach (Option option in new Option[] { _out, _format, _scale, _fps, _models, _maxInFlight, _cancelOnExit, _prompts, _seeds })
        {
            Options.Add(option);
        }
        CommandAction.Bind(this, globals, RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        FileInfo? manifest = parse.GetValue(_manifest);
        FileInfo? promptFile = parse.GetValue(_prompts);
        string? seedText = parse.GetValue(_seeds);
        if (manifest is null && promptFile is null && seedText is null)
        {
            throw new CliException(ExitCodes.Usage, "manifest: give a manifest file, --prompts FILE or --seeds RANGE (or several).", "manifest");
        }
        if (manifest is { Exists: false })
        {
            throw new CliException(ExitCodes.Usage, $"manifest: '{manifest.FullName}' does not exist.", "manifest");
        }
        IReadOnlyList<string>? prompts = promptFile is null ? null : ManifestExpansion.ReadPrompts(promptFile.FullName);
        IReadOnlyList<long>? seeds = seedText is null ? null : ManifestExpansion.ParseSeeds(seedText);
        string folder = Path.GetFullPath(parse.GetValue(_out)!);
        Directory.CreateDirectory(folder);
        OutputFormat format = Enum.Parse<OutputFormat>(parse.GetValue(_format)!, ignoreCase: true);
        int scale = parse.GetValue(_scale) ?? OutputTarget.DefaultScale(format);
        if (scale is < 1 or > 64)
        {
            throw new CliException(ExitCodes.Usage, $"--scale: must be in 1..64; got {scale}.", "scale");
        }
        int fps = parse.GetValue(_fps);
        int maxInFlight = parse.GetValue(_maxInFlight);
        if (maxInFlight is < 1 or > 10000)
        {
            throw new CliException(ExitCodes.Usage, $"--max-in-flight: must be in 1..10000; got {maxInFlight}.", "max-in-flight");
        }
        if (format == OutputFormat.Mp4)
        {
            Mp4Encoder.EnsureAvailable();
        }
        OutputTarget TargetOf(ManifestItem item) => new(Path.Combine(folder, item.Id + OutputTarget.ExtensionOf(format)), format, scale, fps);

        IReadOnlyList<ManifestItem> items = manifest is null ? [new ManifestItem(0, "line-0", new JobSpec(), null, [], null, null)] : Manifest.Read(manifest.FullName);
        if (prompts is not null || seeds is not null)
        {
            items = Manifest.Unique(ManifestExpansion.Expand(items, manifest is not null, prompts, seeds));
        }
        string source = manifest?.FullName ?? promptFile?.FullName ?? $"--seeds {seedText}";
        var outcomes = new Dictionary<ManifestItem, BatchItemOutcome>();
        foreach (ManifestItem item in items.Where(i => !i.IsValid))
        {
            outcomes[item] = new(item, BatchItemStatus.Invalid, null, item.Error, item.Field, null, 0, 0);
        }

        // Items without conditioning have their key now; the rest get it once the model's size is known.
        var keys = new Dictionary<ManifestItem, string>();
        foreach (ManifestItem item in items.Where(i => i.IsValid && i.Scene is null && i.Given.Count == 0))
        {
            keys[item] = BatchKeys.Base(item, item.Spec);
            if (BatchRenderer.Matches(TargetOf(item), keys[item]) is { } sidecar)
            {
                outcomes[item] = new(item, BatchItemStatus.Skipped, sidecar["job_id"]?.GetValue<string>(), "output and sidecar already there", null, TargetOf(item).Path, 0, 0);
            }
        }
        List<ManifestItem> pending = [.. items.Where(i => i.IsValid && !outcomes.ContainsKey(i))];
        using var index = new BatchIndex(folder);
        foreach (BatchItemOutcome done in outcomes.Values)
        {
            index.Add(done, done.Output is { } path ? SidecarFile.TryRead(TargetOf(done.Item).SidecarPath) : null);
        }

        string server = parse.GetValue(_globals.Server)?.ToString() ?? "embedded";
        if (pending.Count > 0)
        {
            await using Connection connection = await Connection.OpenAsync(parse, _globals, parse.GetValue(_models), terminal.Line, cancellationToken);
            server = connection.Server;
            var run = new BatchRenderer.BatchRun(connection, keys, outcomes, TargetOf, source, terminal, index, maxInFlight, parse.GetValue(_cancelOnExit));
            await BatchRenderer.RenderAsync(run, pending, cancellationToken);
        }

        List<BatchItemOutcome> summary = [.. items.Select(i => outcomes[i])];
        PrintSummary(terminal, summary, folder, server, clock.Elapsed.TotalSeconds);
        return summary.Any(o => o.Status is BatchItemStatus.Failed or BatchItemStatus.Invalid) ? ExitCodes.JobFailed : ExitCodes.Ok;
    }

    private static void PrintSummary(Terminal terminal, List<BatchItemOutcome> summary, string folder, string server, double seconds)
    {
        int Count(BatchItemStatus s) => summary.Count(o => o.Status == s);
        foreach (BatchItemOutcome o in summary.Where(o => o.Status is BatchItemStatus.Invalid or BatchItemStatus.Failed))
        {
            Console.Error.WriteLine($"loom: line {o.Item.Line} ({o.Item.Id}): {o.Status.ToString().ToLowerInvariant()}: {o.Message}");
        }
        if (terminal.Json)
        {
            foreach (BatchItemOutcome o in summary)
            {
                terminal.WriteJson(new JsonObject
                {
                    ["event"] = "item",
                    ["id"] = o.Item.Id,
                    ["line"] = o.Item.Line,
                    ["status"] = o.Status.ToString().ToLowerInvariant(),
                    ["job_id"] = o.JobId,
                    ["output"] = o.Output,
                    ["error"] = o.Message is not null && o.Status is BatchItemStatus.Invalid or BatchItemStatus.Failed ? o.Message : null,
                    ["field"] = o.Field,
                    ["evaluations"] = o.Evaluations,
                    ["seconds"] = Math.Round(o.Seconds, 3),
                });
            }
            terminal.WriteJson(new JsonObject
            {
                ["event"] = "summary",
                ["server"] = server,
                ["out"] = folder,
                ["items"] = summary.Count,
                ["done"] = Count(BatchItemStatus.Done),
                ["skipped"] = Count(BatchItemStatus.Skipped),
                ["invalid"] = Count(BatchItemStatus.Invalid),
                ["failed"] = Count(BatchItemStatus.Failed),
                ["seconds"] = Math.Round(seconds, 3),
            });
            return;
        }
        // A row per item while that fits a screen; past it, the rows that need attention (every item is in index.jsonl).
        const int rows = 50;
        List<BatchItemOutcome> shown = summary.Count <= rows ? summary : [.. summary.Where(o => o.Status is BatchItemStatus.Invalid or BatchItemStatus.Failed).Take(rows)];
        var table = new Table().Border(TableBorder.Rounded).AddColumns("line", "id", "status", "job", "nfe", "seconds", "output / error");
        foreach (BatchItemOutcome o in shown)
        {
            string status = o.Status switch
            {
                BatchItemStatus.Done => "[green]done[/]",
                BatchItemStatus.Skipped => "[grey]skipped[/]",
                BatchItemStatus.Invalid => "[red]invalid[/]",
                _ => "[red]failed[/]",
            };
            string detail = o.Status is BatchItemStatus.Invalid or BatchItemStatus.Failed ? o.Message ?? "" : Path.GetFileName(o.Output ?? "");
            table.AddRow(
                o.Item.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(o.Item.Id), status, Markup.Escape(o.JobId ?? ""),
                o.Evaluations.ToString(System.Globalization.CultureInfo.InvariantCulture), o.Seconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(detail));
        }
        if (shown.Count > 0)
        {
            AnsiConsole.Write(table);
        }
        if (shown.Count < summary.Count)
        {
            terminal.Line($"{shown.Count} of {summary.Count} rows shown (failed and invalid first); every item is listed in {Path.Combine(folder, BatchIndex.FileName)}");
        }
        terminal.Line($"{summary.Count} items: {Count(BatchItemStatus.Done)} done, {Count(BatchItemStatus.Skipped)} skipped, {Count(BatchItemStatus.Invalid)} invalid, {Count(BatchItemStatus.Failed)} failed in {seconds:0.0} s; outputs in {folder}");
    }
}
