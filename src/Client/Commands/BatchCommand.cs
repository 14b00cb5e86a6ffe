using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpc.Core;
using Loom.Client.Api;
using Loom.Client.Batch;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Client.Progress;
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
    private const int MaxAttempts = 64;
    private const int TransientRounds = 8;

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
            if (Matches(TargetOf(item), keys[item]) is { } sidecar)
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
            var run = new BatchRun(connection, keys, outcomes, TargetOf, source, terminal, index, maxInFlight, parse.GetValue(_cancelOnExit));
            await RenderAsync(run, pending, cancellationToken);
        }

        List<BatchItemOutcome> summary = [.. items.Select(i => outcomes[i])];
        PrintSummary(terminal, summary, folder, server, clock.Elapsed.TotalSeconds);
        return summary.Any(o => o.Status is BatchItemStatus.Failed or BatchItemStatus.Invalid) ? ExitCodes.JobFailed : ExitCodes.Ok;
    }

    /// <summary>What every item of one run shares.</summary>
    private sealed record BatchRun(
        Connection Connection, Dictionary<ManifestItem, string> Keys, Dictionary<ManifestItem, BatchItemOutcome> Outcomes, Func<ManifestItem, OutputTarget> TargetOf,
        string Manifest, Terminal Terminal, BatchIndex Index, int MaxInFlight, bool CancelOnExit);

    private static async Task RenderAsync(BatchRun run, List<ManifestItem> pending, CancellationToken cancellationToken)
    {
        (Connection connection, Dictionary<ManifestItem, string> keys, Dictionary<ManifestItem, BatchItemOutcome> outcomes, Func<ManifestItem, OutputTarget> targetOf) =
            (run.Connection, run.Keys, run.Outcomes, run.TargetOf);
        LoomClient client = connection.Client;
        var specs = new Dictionary<ManifestItem, JobSpec>();
        var models = new Dictionary<string, ModelInfo>();
        bool noted = false;
        foreach (ManifestItem item in pending.ToList())
        {
            JobSpec spec = item.Spec;
            bool conditioned = item.Scene is not null || item.Given.Count > 0;
            if (conditioned || spec.HasPrompt)
            {
                string model = spec.HasModel ? spec.Model : "physics";
                try
                {
                    if (!models.TryGetValue(model, out ModelInfo? info))
                    {
                        info = await ConditioningFrames.ModelAsync(client, model, cancellationToken);
                        models[model] = info;
                    }
                    if (conditioned)
                    {
                        spec = spec.Clone();
                        spec.Conditioning = item.Scene is int scene
                            ? ConditioningFrames.FromScene(scene, info, spec.HasFrames ? spec.Frames : 16)
                            : ConditioningFrames.FromImages(item.Given, info);
                        keys[item] = BatchKeys.Base(item, spec);
                    }
                    if (spec.HasPrompt && !info.TextConditioned)
                    {
                        // The item keeps its prompt (its key, index line and sidecar have it); a model without text is not sent one.
                        spec = spec.Clone();
                        spec.ClearPrompt();
                        if (!noted)
                        {
                            run.Terminal.Line($"model '{model}' takes no text: prompts are recorded in {BatchIndex.FileName} and the sidecars, not sent.");
                            noted = true;
                        }
                    }
                }
                catch (CliException e)
                {
                    run.Index.Add(outcomes[item] = new(item, BatchItemStatus.Invalid, null, e.Message, e.Field, null, 0, 0), null);
                    pending.Remove(item);
                    continue;
                }
            }
            if (conditioned)
            {
                if (Matches(targetOf(item), keys[item]) is { } sidecar)
                {
                    run.Index.Add(outcomes[item] = new(item, BatchItemStatus.Skipped, sidecar["job_id"]?.GetValue<string>(), "output and sidecar already there", null, targetOf(item).Path, 0, 0), sidecar);
                    pending.Remove(item);
                    continue;
                }
            }
            specs[item] = spec;
        }

        var progress = new BatchProgress(run.Terminal, pending.Count);
        await using var poller = new JobPoller(client, progress);
        using var slots = new SemaphoreSlim(run.MaxInFlight);
        using var writing = new SemaphoreSlim(Math.Max(1, Environment.ProcessorCount));
        var submitted = new Dictionary<ManifestItem, Job>();
        var running = new List<Task>();
        try
        {
            foreach (ManifestItem item in pending)
            {
                await slots.WaitAsync(cancellationToken);
                JobSpec spec = specs[item];
                specs.Remove(item);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await RenderItemAsync(run, item, spec, progress, poller, submitted, writing, cancellationToken);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
                if (running.FirstOrDefault(t => t.IsFaulted) is { } broken)
                {
                    await broken; // an error no item can handle (a wrong API key, say): stop submitting and report it
                }
                running.RemoveAll(t => t.IsCompleted);
            }
            await Task.WhenAll(running);
            progress.Final();
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            progress.Final();
            Job[] unfinished;
            lock (outcomes)
            {
                unfinished = [.. submitted.Values];
            }
            if (run.CancelOnExit)
            {
                foreach (Job job in unfinished)
                {
                    await client.CancelAsync(job.JobId, "batch interrupted (Ctrl-C, --cancel-on-exit)", CancellationToken.None);
                }
                throw new CliException(ExitCodes.Cancelled, $"interrupted: cancelled the batch's {unfinished.Length} unfinished jobs on the server; rerun to render them again.");
            }
            throw new CliException(ExitCodes.Cancelled, $"detached: the batch's {unfinished.Length} unfinished jobs go on on the server; rerun the same command to collect them (--cancel-on-exit cancels instead).");
        }
    }

    /// <summary>One item: submitted (walking past failed attempts, retrying what is retryable), followed, downloaded and written, indexed.</summary>
    private static async Task RenderItemAsync(
        BatchRun run, ManifestItem item, JobSpec spec, BatchProgress progress, JobPoller poller, Dictionary<ManifestItem, Job> submitted, SemaphoreSlim writing, CancellationToken cancellationToken)
    {
        LoomClient client = run.Connection.Client;
        var clock = Stopwatch.StartNew();
        void Record(BatchItemOutcome outcome, JsonObject? sidecar)
        {
            lock (run.Outcomes)
            {
                run.Outcomes[item] = outcome;
                submitted.Remove(item); // what stays is bounded by --max-in-flight
            }
            run.Index.Add(outcome, sidecar);
            progress.Finished(item.Id, outcome.Status == BatchItemStatus.Done);
        }

        Job? job = null;
        int attempt = 0;
        for (int round = 0; job is null; round++)
        {
            try
            {
                Job accepted = await client.SubmitAsync(spec, idempotencyKey: BatchKeys.Attempt(run.Keys[item], attempt), cancellationToken: cancellationToken);
                if (accepted.State is JobState.Failed or JobState.Cancelled && attempt + 1 < MaxAttempts)
                {
                    attempt++;
                    continue;
                }
                job = accepted;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                RpcFailure failure = RpcFailure.From(e, run.Connection.Server);
                Record(new(item, BatchItemStatus.Invalid, null, failure.Message.Replace("invalid argument: ", "", StringComparison.Ordinal), failure.Field, null, 0, 0), null);
                return;
            }
            catch (RpcException e) when (RpcFailure.IsRetryable(e) && round + 1 < TransientRounds && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(4000, 250 << Math.Min(round, 4))), cancellationToken);
            }
            catch (RpcException e) when (RpcFailure.IsRetryable(e) && !cancellationToken.IsCancellationRequested)
            {
                Record(new(item, BatchItemStatus.Failed, null, $"not accepted: {e.Status.Detail}", null, null, 0, 0), null);
                return;
            }
        }
        lock (run.Outcomes)
        {
            submitted[item] = job;
        }
        progress.Submitted(item.Id, job);
        Job ended;
        try
        {
            ended = await poller.WaitAsync(job, item.Id, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            Record(new(item, BatchItemStatus.Failed, job.JobId, e.Status.Detail, null, null, 0, clock.Elapsed.TotalSeconds), null);
            return;
        }
        if (ended.State != JobState.Completed)
        {
            Record(new(item, BatchItemStatus.Failed, ended.JobId, $"{Sidecar.StateName(ended.State)}: {ended.Error}", null, null, ended.Evaluations, clock.Elapsed.TotalSeconds), null);
            return;
        }
        await writing.WaitAsync(cancellationToken);
        try
        {
            OutputTarget target = run.TargetOf(item);
            ResultFile result = ResultFile.Parse(await client.DownloadAsync(ended.JobId, cancellationToken));
            JsonObject output = await OutputWriter.WriteAsync(target, result.Video(), result.Bytes, cancellationToken);
            JsonObject sidecar = Sidecar.Of(ended, run.Connection.Server, spec, item.Source, clock.Elapsed.TotalSeconds);
            sidecar["output"] = output;
            sidecar["batch"] = new JsonObject
            {
                ["manifest"] = run.Manifest,
                ["line"] = item.Line,
                ["id"] = item.Id,
                ["key"] = run.Keys[item],
                ["attempt"] = attempt,
            };
            if (item.Spec.HasPrompt)
            {
                sidecar["prompt"] = item.Spec.Prompt; // the item's prompt, also where its model takes no text and was not sent it
                sidecar["batch"]!["prompt_sent"] = spec.HasPrompt;
            }
            await SidecarFile.WriteAsync(target.SidecarPath, sidecar, cancellationToken);
            Record(new(item, BatchItemStatus.Done, ended.JobId, null, null, target.Path, ended.Evaluations, clock.Elapsed.TotalSeconds), sidecar);
        }
        catch (Exception e) when (e is CliException or InvalidDataException or IOException or RpcException { StatusCode: not StatusCode.Cancelled })
        {
            Record(new(item, BatchItemStatus.Failed, ended.JobId, $"output: {e.Message}", "out", null, ended.Evaluations, clock.Elapsed.TotalSeconds), null);
        }
        finally
        {
            writing.Release();
        }
    }

    /// <summary>The sidecar of an item that is already done: same key, completed, and its output unchanged since.</summary>
    private static JsonObject? Matches(OutputTarget target, string key)
    {
        JsonObject? sidecar = SidecarFile.TryRead(target.SidecarPath);
        if (sidecar?["batch"]?["key"]?.GetValue<string>() != key || sidecar["state"]?.GetValue<string>() != "completed")
        {
            return null;
        }
        JsonNode? output = sidecar["output"];
        bool sameShape = output?["format"]?.GetValue<string>() == target.Format.ToString().ToLowerInvariant()
            && output["scale"]?.GetValue<int>() == (target.Format == OutputFormat.Safetensors ? 1 : target.Scale)
            && output["fps"]?.GetValue<int>() == target.Fps;
        string? digest = OutputWriter.DigestOf(target.Path, target.Format);
        return sameShape && digest is not null && digest == output?["sha256"]?.GetValue<string>() ? sidecar : null;
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
