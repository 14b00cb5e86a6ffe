using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Loom.Sampling.Sampler;
using Loom.Sampling.Windows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Polly;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// A render job: validates and persists the spec, waits for admission, then runs the sampling loop outside any grain
/// call (a task on the grain's scheduler whose tensor work runs on the thread pool), fanning each step's windows out
/// to shards and checkpointing the latent. If its silo dies, the queue's heartbeat re-activates it elsewhere and the
/// loop resumes from the last checkpoint; noise depends only on (seed, step, iteration), so the bits do not change.
/// </summary>
[JobPlacement]
public sealed partial class RenderJobGrain(
    [PersistentState("job", "jobs")] IPersistentState<RenderJobState> state,
    ShardRouter router,
    ILatentStore latents,
    IResultStore results,
    IOptions<LoomResultsOptions> retention,
    ModelCatalog catalog,
    IOptions<LoomOptions> options,
    ILocalSiloDetails silo,
    LocalJobs jobs,
    LoomMetrics metrics,
    WanJobModels wanModels,
    ILogger<RenderJobGrain> logger) : Grain, IRenderJobGrain
{
    private static readonly ResiliencePipeline StorageRetry = StoragePolicies.Retry;

    private int _loopFailures;

    private readonly SemaphoreSlim _writes = new(1, 1);
    private Task? _loop;
    private CancellationTokenSource? _stop;
    private bool _cancelRequested;
    private JobCounters? _counters;

    private string JobId => this.GetPrimaryKeyString();

    private IJobQueueGrain Queue => GrainFactory.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);

    private IJobIndexGrain Index => GrainFactory.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);

    /// <inheritdoc />
    public async Task<JobStatus> SubmitAsync(JobSpec spec, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? key = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey;
        if (state.State.Spec is { } existing)
        {
            if (!existing.SameAs(spec))
            {
                throw key is not null && key == state.State.IdempotencyKey
                    ? new InvalidJobSpecException("idempotency_key", $"'{key}' was first used for job '{JobId}' with a different spec.")
                    : new InvalidJobSpecException("job_id", $"job '{JobId}' already exists with a different spec.");
            }
            if (key is not null && state.State.IdempotencyKey is { } first && first != key)
            {
                throw new InvalidJobSpecException("idempotency_key", $"job '{JobId}' was submitted under another idempotency key.");
            }
            if (state.State.Phase == JobPhase.Queued)
            {
                await Queue.EnqueueAsync(JobId, existing.Priority); // idempotent: repairs a submit whose enqueue failed
            }
            await RecordInIndexAsync(); // idempotent too: repairs a submit whose index entry failed
            return Status();
        }
        JobSpecValidator.Validate(spec, options.Value.Limits, catalog.Shapes);
        // Queue first, then persist: if the save fails the caller hears so, and the queue's admission finds no job and
        // drops it; if the enqueue fails nothing was persisted. Either way a submit that returned is never lost.
        // (The queue's one-way start can only run after this call returns.)
        await Queue.EnqueueAsync(JobId, spec.Priority);
        state.State = new RenderJobState
        {
            Spec = spec,
            Phase = JobPhase.Queued,
            SubmittedAt = DateTimeOffset.UtcNow,
            IdempotencyKey = key,
            Windows = WindowTally.Empty(JobSpecValidator.Windows(spec)),
            ModelSha256 = catalog.Shapes[spec.Model].Sha256,
            Epoch = state.State.Epoch, // above the tombstone of a deleted job that had this id
        };
        try
        {
            await SaveAsync();
        }
        catch
        {
            state.State = new RenderJobState { Epoch = state.State.Epoch };
            throw;
        }
        LogAccepted(logger, JobId, spec.Frames, spec.Steps, spec.Plan);
        jobs.Seen(JobId, JobPhase.Queued);
        // Listed before the caller hears of it; if this fails the caller retries, and the repeat submit records it.
        await RecordInIndexAsync();
        return Status();
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <inheritdoc />
    public async Task<JobStatus> CancelAsync(string reason)
    {
        JobStatus current = Status();
        if (current.IsFinal)
        {
            return current;
        }
        _cancelRequested = true;
        _stop?.Cancel();
        await FinishAsync(JobPhase.Cancelled, string.IsNullOrWhiteSpace(reason) ? "cancelled" : reason);
        return Status();
    }

    /// <inheritdoc />
    public async Task<JobStatus> DeleteAsync()
    {
        JobStatus before = Status();
        if (!before.IsFinal)
        {
            await CancelAsync("deleted");
        }
        if (_loop is { } loop)
        {
            // The cancelled loop writes nothing more once it sees the cancellation; let it get there first.
            await loop.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Current);
        }
        await StorageRetry.ExecuteAsync(async t => await results.DeleteAsync(JobId, t));
        long epoch = state.State.Epoch + 1;
        await StorageRetry.ExecuteAsync(async t => await latents.DeleteAsync(JobId, epoch, t));
        if (state.State.OutputPath is { } output && File.Exists(output))
        {
            File.Delete(output);
        }
        await Queue.FinishedAsync(JobId);
        await Index.RemoveAsync(JobId);
        // What stays is the epoch alone: a job created again under this id starts above the checkpoint tombstone.
        state.State = new RenderJobState { Epoch = epoch };
        await SaveAsync();
        jobs.Gone(JobId);
        LogDeleted(logger, JobId, before.Phase);
        DeactivateOnIdle();
        return before;
    }

    /// <inheritdoc />
    public async Task StartAsync(long admissionOrder)
    {
        if (state.State.Spec is null || IsFinal(state.State.Phase))
        {
            await Queue.FinishedAsync(JobId);
            return;
        }
        if (state.State.Phase == JobPhase.Queued)
        {
            state.State.Phase = JobPhase.Running;
            state.State.StartedAt = DateTimeOffset.UtcNow;
            state.State.AdmissionOrder = admissionOrder;
            await SaveAsync();
            metrics.QueueWait.Observe(Math.Max(0, (state.State.StartedAt.Value - state.State.SubmittedAt).TotalSeconds));
            jobs.Seen(JobId, JobPhase.Running);
            await TryRecordInIndexAsync();
        }
        StartLoop();
    }

    /// <inheritdoc />
    public async Task EnsureRunningAsync(long admissionOrder)
    {
        if (state.State.Spec is null || IsFinal(state.State.Phase))
        {
            await Queue.FinishedAsync(JobId);
            return;
        }
        if (state.State.Phase == JobPhase.Queued)
        {
            await StartAsync(admissionOrder); // the queue admitted it; its one-way start was lost or is still on its way
            return;
        }
        if (state.State.Phase == JobPhase.Running && _loop is null)
        {
            if (jobs.Draining)
            {
                DeactivateOnIdle(); // this silo is leaving: the next heartbeat places the job on another
                return;
            }
            state.State.Resumes++;
            LogResuming(logger, JobId, state.State.StepsDone, silo.SiloAddress.ToString());
            StartLoop();
        }
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Spec is not null)
        {
            jobs.Seen(JobId, state.State.Phase);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        jobs.Gone(JobId);
        // Stop the loop without changing the phase: the queue's heartbeat resumes it from the checkpoint.
        _stop?.Cancel();
        if (_loop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Current);
        }
    }

    private void StartLoop()
    {
        if (_loop is not null)
        {
            return;
        }
        if (jobs.Draining)
        {
            // This silo is leaving: let the queue's next heartbeat activate the job on another silo.
            DeactivateOnIdle();
            return;
        }
        _stop = new CancellationTokenSource();
        jobs.LoopStarted(JobId, _stop);
        _loop = RunAsync(_stop.Token);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // leave the calling turn first
        JobSpec spec = state.State.Spec!;
        var counters = _counters = new JobCounters();
        Tensor? latent = null;
        try
        {
            // A new epoch, saved (the save is ETag-checked, so a superseded activation fails here): this loop's
            // checkpoints carry it, and the store refuses them once a newer loop has written.
            long epoch = ++state.State.Epoch;
            await SaveAsync();
            // Wan: the prompts (and an I2V image) are encoded here once, before sampling; the frames decoded here after it.
            using WanJobStages? wan = spec.IsWan ? await Task.Run(() => wanModels.Prepare(JobId, spec, catalog.Info(spec.Model).Path), cancellationToken) : null;
            using var sampling = new JobSampling(spec, (w, c) => new ShardWindowField(JobId, spec, w, c, router, counters, wan?.Inputs(w)));
            if (sampling.IsStepwise)
            {
                LatentCheckpoint? checkpoint = await LoadCheckpointAsync(spec, sampling.SampleShape.Aggregate(4L, (n, d) => n * d), cancellationToken);
                int first = checkpoint?.StepsDone ?? 0;
                latent = checkpoint is null ? sampling.InitialLatent() : JobSampling.FromBytes(checkpoint.Latent, sampling.SampleShape);
                state.State.StepsDone = first;
                state.State.CertainFractions = state.State.CertainFractions.Take(first).ToList();
                var fractions = new List<double>();
                int passes = spec.Guidance > 1 ? 2 : 1;
                int firstPrediction = sampling.Windows.Windows.Count * passes;
                for (int step = first; step < spec.Steps; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    DelayDeactivation(TimeSpan.FromMinutes(10));
                    Tensor z = latent;
                    int index = step;
                    long stepStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                    StepOutcome outcome = await Task.Run(() => sampling.StepAsync(z, index, cancellationToken), cancellationToken);
                    metrics.StepDuration.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(stepStarted).TotalSeconds);
                    latent.Dispose();
                    latent = outcome.Latent;
                    StepReport report = outcome.Report;
                    int refine = Math.Max(0, report.Evaluations - firstPrediction);
                    state.State.Evaluations += report.Evaluations;
                    state.State.RefineEvaluations += refine;
                    state.State.SkippedEvaluations += report.SkippedEvaluations;
                    metrics.CountEvaluations(report.Evaluations - refine, refine, report.SkippedEvaluations);
                    if (report.CertainFractions.Count > 0)
                    {
                        metrics.CertainFraction.Observe(report.CertainFraction);
                    }
                    fractions.Add(report.CertainFraction);
                    WindowTally.AddStep(state.State.Windows, counters.TakeWindows(), report.Predictions, passes);
                    Fold(counters);
                    _loopFailures = 0;
                    bool draining = jobs.Draining && step + 1 < spec.Steps;
                    if ((step + 1) % spec.CheckpointEvery == 0 || step + 1 == spec.Steps || draining)
                    {
                        byte[] bytes = JobSampling.ToBytes(latent);
                        int done = step + 1;
                        await StorageRetry.ExecuteAsync(async t => await latents.SaveAsync(JobId, new LatentCheckpoint(done, bytes, epoch), t), cancellationToken);
                        state.State.StepsDone = step + 1;
                        state.State.CertainFractions.AddRange(fractions);
                        fractions.Clear();
                        if (_cancelRequested)
                        {
                            return;
                        }
                        await SaveAsync();
                        jobs.Checkpointed(JobId);
                        if (draining)
                        {
                            // The silo drains: stop here, checkpointed; the queue's heartbeat resumes the job elsewhere.
                            LogDrained(logger, JobId, state.State.StepsDone);
                            DeactivateOnIdle();
                            return;
                        }
                    }
                }
            }
            else
            {
                using WindowedResult result = await Task.Run(() => sampling.SampleAllAsync(null, cancellationToken), cancellationToken);
                latent = result.Latent.clone();
                state.State.Evaluations += result.Evaluations;
                state.State.SkippedEvaluations += result.SkippedEvaluations;
                metrics.CountEvaluations(result.Evaluations, 0, result.SkippedEvaluations);
                state.State.StepsDone = spec.Steps;
                WindowTally.AddRun(state.State.Windows, counters.TakeWindows(), result.Steps);
                Fold(counters);
            }
            cancellationToken.ThrowIfCancellationRequested();
            string output = OutputNames.Resolve(options.Value.OutputDirectory, JobId, spec.Output ?? "");
            Tensor final = latent;
            (string hash, byte[] file) = await Task.Run(() => JobResultFile.Write(options.Value.OutputDirectory, output, final, spec, wan?.Decode(final)), cancellationToken);
            await StorageRetry.ExecuteAsync(async t => await results.SaveAsync(JobId, file, t), cancellationToken);
            if (_cancelRequested)
            {
                return;
            }
            state.State.ResultBytes = file.Length;
            state.State.ResultSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
            state.State.OutputPath = output;
            state.State.LatentSha256 = hash;
            await FinishAsync(JobPhase.Completed, null);
            LogCompleted(logger, JobId, state.State.Evaluations, state.State.Shards.Count, output);
        }
        catch (Exception e) when (e is StaleCheckpointException or InconsistentStateException)
        {
            // Another loop of this job has taken over (this silo was stopped or cut off): write nothing more.
            LogSuperseded(logger, JobId, e.Message);
            DeactivateOnIdle();
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled by the user (CancelAsync recorded it) or by deactivation (resumed later from the checkpoint).
        }
        catch (Exception e) when (!IsPermanent(e) && ++_loopFailures < MaxLoopFailures)
        {
            // No shard, a timeout, storage away: stay Running; the queue's next heartbeat resumes from the checkpoint.
            LogInterrupted(logger, JobId, _loopFailures, e.GetType().Name, e.Message);
        }
        catch (Exception e)
        {
            LogFailed(logger, e, JobId);
            if (!_cancelRequested)
            {
                await FinishAsync(JobPhase.Failed, $"{e.GetType().Name}: {e.Message}");
            }
        }
        finally
        {
            latent?.Dispose();
            _loop = null;
            jobs.LoopEnded(JobId);
        }
    }

    /// <summary>
    /// The job's checkpoint, verified: a checkpoint whose checksum fails, whose step is out of range or whose latent has
    /// another size is corrupt; it is reported, deleted, and the job restarts from step 0, which gives the same bits
    /// (noise depends only on seed, step and iteration) at the price of the steps done.
    /// </summary>
    private async Task<LatentCheckpoint?> LoadCheckpointAsync(JobSpec spec, long latentBytes, CancellationToken cancellationToken)
    {
        try
        {
            LatentCheckpoint? checkpoint = await StorageRetry.ExecuteAsync(async t => await latents.LoadAsync(JobId, t), cancellationToken);
            checkpoint?.CheckFits(spec.Steps, latentBytes);
            return checkpoint;
        }
        catch (InvalidDataException e)
        {
            LogCorruptCheckpoint(logger, JobId, e.Message);
            metrics.CorruptData.WithLabels(LoomMetrics.CorruptCheckpoint).Inc();
            await StorageRetry.ExecuteAsync(async t => await latents.DeleteAsync(JobId, state.State.Epoch, t), cancellationToken);
            state.State.Evaluations = state.State.RefineEvaluations = state.State.SkippedEvaluations = 0;
            state.State.Windows = WindowTally.Empty(JobSpecValidator.Windows(spec));
            return null;
        }
    }

    /// <summary>Loop failures in a row (without a finished step) before a job is failed for good.</summary>
    private const int MaxLoopFailures = 5;

    /// <summary>Errors that would repeat on every resume: the job fails at once.</summary>
    private static bool IsPermanent(Exception e) => e is ArgumentException or InvalidDataException or InvalidJobSpecException or NotSupportedException or FormatException;

    private void Fold(JobCounters counters)
    {
        state.State.Retries = Math.Max(state.State.Retries, counters.Retries);
        var (messages, sent, received) = counters.TakeTraffic();
        state.State.WireMessages += messages;
        state.State.WireBytesSent += sent;
        state.State.WireBytesReceived += received;
        foreach (string shard in counters.Shards.Keys.Where(s => !state.State.Shards.Contains(s)))
        {
            state.State.Shards.Add(shard);
        }
    }

    private async Task FinishAsync(JobPhase phase, string? error)
    {
        if (IsFinal(state.State.Phase))
        {
            return;
        }
        (JobPhase Phase, string? Error, DateTimeOffset? At) before = (state.State.Phase, state.State.Error, state.State.FinishedAt);
        state.State.Phase = phase;
        state.State.Error = error;
        state.State.FinishedAt = DateTimeOffset.UtcNow;
        try
        {
            await SaveAsync();
        }
        catch
        {
            (state.State.Phase, state.State.Error, state.State.FinishedAt) = before;
            throw;
        }
        jobs.Finished(JobId, phase);
        if (phase == JobPhase.Completed && state.State.StartedAt is { } started)
        {
            metrics.JobDuration.Observe(Math.Max(0, (state.State.FinishedAt!.Value - started).TotalSeconds));
        }
        long epoch = state.State.Epoch;
        await StorageRetry.ExecuteAsync(async t => await latents.DeleteAsync(JobId, epoch, t));
        await StorageRetry.ExecuteAsync(async _ => await Queue.FinishedAsync(JobId));
        await TryRecordInIndexAsync();
    }

    private JobIndexEntry IndexEntry() => new(JobId, state.State.Spec!.Model, state.State.Phase, state.State.SubmittedAt, state.State.IdempotencyKey, Owner: state.State.Spec.Owner, FinishedAt: state.State.FinishedAt);

    private Task RecordInIndexAsync() => Index.RecordAsync(IndexEntry());

    /// <summary>A phase change for the list; the job goes on if the index cannot be reached (its list entry lags).</summary>
    private async Task TryRecordInIndexAsync()
    {
        JobIndexEntry entry = IndexEntry();
        IJobIndexGrain index = Index;
        try
        {
            await StorageRetry.ExecuteAsync(async _ => await index.RecordAsync(entry));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogIndexFailed(logger, JobId, e.GetType().Name, e.Message);
        }
    }

    private async Task SaveAsync()
    {
        await _writes.WaitAsync();
        try
        {
            // Grain state may only be touched on the grain's scheduler: every retry continues on the captured context.
            ResilienceContext context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true);
            try
            {
                await StorageRetry.ExecuteAsync(async _ => await state.WriteStateAsync(), context);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    private JobStatus Status()
    {
        RenderJobState s = state.State;
        if (s.Spec is null)
        {
            throw new JobNotFoundException(JobId);
        }
        return new JobStatus(JobId, s.Phase, s.Spec, s.StepsDone, s.Evaluations, s.RefineEvaluations, s.SkippedEvaluations,
            s.CertainFractions.ToArray(), s.Error, s.OutputPath, s.LatentSha256, s.Resumes, s.Retries, s.Shards.ToArray(),
            s.SubmittedAt, s.StartedAt, s.FinishedAt, s.AdmissionOrder, silo.SiloAddress.ToParsableString(),
            _counters is { } live && s.Phase == JobPhase.Running ? WindowTally.Live(s.Windows, live.PendingWindows) : s.Windows.ToArray(),
            s.IdempotencyKey, s.ModelSha256, s.ResultBytes, s.WireMessages, s.WireBytesSent, s.WireBytesReceived, s.ResultSha256,
            retention.Value.ExpiresAt(s.FinishedAt));
    }

    private static bool IsFinal(JobPhase phase) => phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} accepted: {Frames} frames, {Steps} steps, plan {Plan}")]
    private static partial void LogAccepted(ILogger logger, string jobId, int frames, int steps, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} resuming after step {Steps} on {Silo}")]
    private static partial void LogResuming(ILogger logger, string jobId, int steps, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} completed: {Evaluations} evaluations on {Shards} shards, output {Output}")]
    private static partial void LogCompleted(ILogger logger, string jobId, int evaluations, int shards, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} stopped after step {Steps} with a checkpoint: its silo is draining; it resumes on another silo")]
    private static partial void LogDrained(ILogger logger, string jobId, int steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} interrupted ({Failures} in a row: {Error}: {Detail}); it resumes from its checkpoint")]
    private static partial void LogInterrupted(ILogger logger, string jobId, int failures, string error, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: the job index was not updated ({Error}: {Detail}); its list entry lags")]
    private static partial void LogIndexFailed(ILogger logger, string jobId, string error, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: its checkpoint is unusable ({Detail}); deleted, the job restarts from step 0 (same bits)")]
    private static partial void LogCorruptCheckpoint(ILogger logger, string jobId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: this loop was superseded by a newer one elsewhere ({Detail}); it stops without writing")]
    private static partial void LogSuperseded(ILogger logger, string jobId, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} deleted (it was {Phase}): result, checkpoint, output and state removed")]
    private static partial void LogDeleted(ILogger logger, string jobId, JobPhase phase);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string jobId);
}
