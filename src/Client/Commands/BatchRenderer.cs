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

namespace Loom.Client.Commands;

/// <summary>
/// The rendering half of <c>loom batch</c> (<see cref="BatchCommand"/> reads the manifest and prints the summary): keeps
/// at most <see cref="BatchRun.MaxInFlight"/> items submitted and unfinished, each submitted under its idempotency key,
/// followed to its end, downloaded and written with its sidecar and index line; a failed or cancelled job gets a new
/// attempt (at most 64), a passing RPC failure a retry (at most 8 in a row).
/// </summary>
internal static class BatchRenderer
{
    private const int MaxAttempts = 64;
    private const int TransientRounds = 8;

    /// <summary>What every item of one run shares.</summary>
    internal sealed record BatchRun(
        Connection Connection, Dictionary<ManifestItem, string> Keys, Dictionary<ManifestItem, BatchItemOutcome> Outcomes, Func<ManifestItem, OutputTarget> TargetOf,
        string Manifest, Terminal Terminal, BatchIndex Index, int MaxInFlight, bool CancelOnExit);

    internal static async Task RenderAsync(BatchRun run, List<ManifestItem> pending, CancellationToken cancellationToken)
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
    internal static JsonObject? Matches(OutputTarget target, string key)
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
}
