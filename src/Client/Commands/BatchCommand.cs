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
/// downloaded rather than rendered again, failed ones get a new attempt. Exits 1 when any item is invalid or failed.
/// </summary>
internal sealed class BatchCommand : Command
{
    private const int MaxAttempts = 64;
    private const int SubmitChunk = 100;
    private const int TransientRounds = 8;

    private readonly GlobalOptions _globals;
    private readonly Argument<FileInfo> _manifest = new("manifest") { Description = "JSONL file: one job per line, fields named like the render options in snake_case." };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder for the items' videos and sidecars.", Required = true };
    private readonly Option<string> _format = new("--format") { Description = "Output format of every item.", DefaultValueFactory = _ => "mp4" };
    private readonly Option<int?> _scale = new("--scale") { Description = "Nearest-neighbour upscale (default 8 for mp4/gif, 1 otherwise)." };
    private readonly Option<int> _fps = new("--fps") { Description = "Frames per second of mp4/gif.", DefaultValueFactory = _ => 8 };
    private readonly Option<string?> _models = new("--models") { Description = "Embedded mode: folder of model weights (default: the bundled models)." };

    public BatchCommand(GlobalOptions globals)
        : base("batch", "Render every line of a JSONL manifest; rerun to resume.")
    {
        _globals = globals;
        _format.AcceptOnlyFromAmong("mp4", "gif", "png", "safetensors");
        Arguments.Add(_manifest);
        foreach (Option option in new Option[] { _out, _format, _scale, _fps, _models })
        {
            Options.Add(option);
        }
        CommandAction.Bind(this, globals, RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        FileInfo manifest = parse.GetValue(_manifest)!;
        if (!manifest.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"manifest: '{manifest.FullName}' does not exist.", "manifest");
        }
        string folder = Path.GetFullPath(parse.GetValue(_out)!);
        Directory.CreateDirectory(folder);
        OutputFormat format = Enum.Parse<OutputFormat>(parse.GetValue(_format)!, ignoreCase: true);
        int scale = parse.GetValue(_scale) ?? OutputTarget.DefaultScale(format);
        if (scale is < 1 or > 64)
        {
            throw new CliException(ExitCodes.Usage, $"--scale: must be in 1..64; got {scale}.", "scale");
        }
        int fps = parse.GetValue(_fps);
        if (format == OutputFormat.Mp4)
        {
            Mp4Encoder.EnsureAvailable();
        }
        OutputTarget TargetOf(ManifestItem item) => new(Path.Combine(folder, item.Id + OutputTarget.ExtensionOf(format)), format, scale, fps);

        IReadOnlyList<ManifestItem> items = Manifest.Read(manifest.FullName);
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

        string server = parse.GetValue(_globals.Server)?.ToString() ?? "embedded";
        if (pending.Count > 0)
        {
            await using Connection connection = await Connection.OpenAsync(parse, _globals, parse.GetValue(_models), terminal.Line, cancellationToken);
            server = connection.Server;
            await RenderAsync(connection, pending, keys, outcomes, TargetOf, manifest.FullName, terminal, cancellationToken);
        }

        List<BatchItemOutcome> summary = [.. items.Select(i => outcomes[i])];
        PrintSummary(terminal, summary, folder, server, clock.Elapsed.TotalSeconds);
        return summary.Any(o => o.Status is BatchItemStatus.Failed or BatchItemStatus.Invalid) ? ExitCodes.JobFailed : ExitCodes.Ok;
    }

    private static async Task RenderAsync(
        Connection connection, List<ManifestItem> pending, Dictionary<ManifestItem, string> keys, Dictionary<ManifestItem, BatchItemOutcome> outcomes,
        Func<ManifestItem, OutputTarget> targetOf, string manifest, Terminal terminal, CancellationToken cancellationToken)
    {
        LoomClient client = connection.Client;
        var specs = new Dictionary<ManifestItem, JobSpec>();
        var models = new Dictionary<string, ModelInfo>();
        foreach (ManifestItem item in pending.ToList())
        {
            JobSpec spec = item.Spec;
            if (item.Scene is not null || item.Given.Count > 0)
            {
                string model = spec.HasModel ? spec.Model : "physics";
                try
                {
                    if (!models.TryGetValue(model, out ModelInfo? info))
                    {
                        info = await ConditioningFrames.ModelAsync(client, model, cancellationToken);
                        models[model] = info;
                    }
                    spec = spec.Clone();
                    spec.Conditioning = item.Scene is int scene
                        ? ConditioningFrames.FromScene(scene, info, spec.HasFrames ? spec.Frames : 16)
                        : ConditioningFrames.FromImages(item.Given, info);
                }
                catch (CliException e)
                {
                    outcomes[item] = new(item, BatchItemStatus.Invalid, null, e.Message, e.Field, null, 0, 0);
                    pending.Remove(item);
                    continue;
                }
                keys[item] = BatchKeys.Base(item, spec);
                if (Matches(targetOf(item), keys[item]) is { } sidecar)
                {
                    outcomes[item] = new(item, BatchItemStatus.Skipped, sidecar["job_id"]?.GetValue<string>(), "output and sidecar already there", null, targetOf(item).Path, 0, 0);
                    pending.Remove(item);
                    continue;
                }
            }
            specs[item] = spec;
        }

        // Submit under attempt 0; where that key already holds a failed or cancelled job, walk on to the next attempt.
        var attempts = pending.ToDictionary(i => i, _ => 0);
        var jobs = new Dictionary<ManifestItem, Job>();
        List<ManifestItem> toSubmit = [.. pending];
        for (int round = 0; toSubmit.Count > 0; round++)
        {
            if (round > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(4000, 250 << Math.Min(round, 4))), cancellationToken);
            }
            var again = new List<ManifestItem>();
            foreach (ManifestItem[] chunk in toSubmit.Chunk(SubmitChunk))
            {
                IReadOnlyList<BatchItemResult> results = await client.SubmitBatchAsync(
                    chunk.Select(i => new SubmitJobRequest { Spec = specs[i], IdempotencyKey = BatchKeys.Attempt(keys[i], attempts[i]) }), cancellationToken);
                foreach (BatchItemResult result in results)
                {
                    ManifestItem item = chunk[result.Index];
                    if (result.Error is { Field: "" } transient)
                    {
                        // Not the item's fault (the server could not take it just now): the same key again is safe.
                        if (round + 1 < TransientRounds)
                        {
                            again.Add(item);
                        }
                        else
                        {
                            outcomes[item] = new(item, BatchItemStatus.Failed, null, $"not accepted: {transient.Message}", null, null, 0, 0);
                        }
                    }
                    else if (result.Error is { } error)
                    {
                        string message = error.Message.StartsWith(error.Field + ":", StringComparison.Ordinal) ? error.Message : $"{error.Field}: {error.Message}";
                        outcomes[item] = new(item, BatchItemStatus.Invalid, null, message, error.Field, null, 0, 0);
                    }
                    else if (result.Job.State is JobState.Failed or JobState.Cancelled && attempts[item] + 1 < MaxAttempts)
                    {
                        attempts[item]++;
                        again.Add(item);
                    }
                    else
                    {
                        jobs[item] = result.Job;
                    }
                }
            }
            toSubmit = again;
        }

        using var writing = new SemaphoreSlim(Math.Max(1, Environment.ProcessorCount));
        try
        {
            await JobDisplay.RunAsync(terminal, showWindows: false, async reporter =>
            {
                await Task.WhenAll(jobs.Select(async kv =>
                {
                    (ManifestItem item, Job job) = (kv.Key, kv.Value);
                    var clock = Stopwatch.StartNew();
                    Job ended = await JobFollower.FollowAsync(client, job.JobId, item.Id, reporter, cancellationToken);
                    if (ended.State != JobState.Completed)
                    {
                        outcomes[item] = new(item, BatchItemStatus.Failed, ended.JobId, $"{Sidecar.StateName(ended.State)}: {ended.Error}", null, null, ended.Evaluations, clock.Elapsed.TotalSeconds);
                        return;
                    }
                    await writing.WaitAsync(cancellationToken);
                    try
                    {
                        OutputTarget target = targetOf(item);
                        ResultFile result = ResultFile.Parse(await client.DownloadAsync(ended.JobId, cancellationToken));
                        JsonObject output = await OutputWriter.WriteAsync(target, result.Video(), result.Bytes, cancellationToken);
                        JsonObject sidecar = Sidecar.Of(ended, connection.Server, specs[item], item.Source, clock.Elapsed.TotalSeconds);
                        sidecar["output"] = output;
                        sidecar["batch"] = new JsonObject
                        {
                            ["manifest"] = manifest,
                            ["line"] = item.Line,
                            ["id"] = item.Id,
                            ["key"] = keys[item],
                            ["attempt"] = attempts[item],
                        };
                        await SidecarFile.WriteAsync(target.SidecarPath, sidecar, cancellationToken);
                        outcomes[item] = new(item, BatchItemStatus.Done, ended.JobId, null, null, target.Path, ended.Evaluations, clock.Elapsed.TotalSeconds);
                    }
                    catch (Exception e) when (e is CliException or InvalidDataException or IOException or RpcException { StatusCode: not StatusCode.Cancelled })
                    {
                        outcomes[item] = new(item, BatchItemStatus.Failed, ended.JobId, $"output: {e.Message}", "out", null, ended.Evaluations, clock.Elapsed.TotalSeconds);
                    }
                    finally
                    {
                        writing.Release();
                    }
                }));
                return true;
            });
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            foreach (var (item, job) in jobs.Where(kv => !outcomes.ContainsKey(kv.Key)))
            {
                await client.CancelAsync(job.JobId, "batch interrupted (Ctrl-C)", CancellationToken.None);
            }
            throw new CliException(ExitCodes.Cancelled, "interrupted: cancelled the batch's unfinished jobs on the server; rerun to resume.");
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
        var table = new Table().Border(TableBorder.Rounded).AddColumns("line", "id", "status", "job", "nfe", "seconds", "output / error");
        foreach (BatchItemOutcome o in summary)
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
        AnsiConsole.Write(table);
        terminal.Line($"{summary.Count} items: {Count(BatchItemStatus.Done)} done, {Count(BatchItemStatus.Skipped)} skipped, {Count(BatchItemStatus.Invalid)} invalid, {Count(BatchItemStatus.Failed)} failed in {seconds:0.0} s; outputs in {folder}");
    }
}
