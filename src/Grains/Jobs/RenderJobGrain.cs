using System.Diagnostics;
using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Loom.Grains.Resilience;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Polly;
using Polly.Registry;
using static Loom.Grains.Jobs.RenderJobLog;

namespace Loom.Grains.Jobs;

/// <summary>
/// A render job's lifecycle, persistence and reporting: validates and persists the spec, waits for admission, then
/// drives its <see cref="JobRun"/> outside any grain call (a task on the grain's scheduler whose tensor work runs on the
/// thread pool), its windows evaluated on shards, checkpointing the latent. If its silo dies, the queue's heartbeat
/// re-activates it elsewhere and the run resumes from the last checkpoint with the same bits.
/// </summary>
[JobPlacement]
public sealed class RenderJobGrain(
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
    private ResiliencePipeline StorageRetry => field ??= ServiceProvider.GetRequiredService<ResiliencePipelineProvider<LoomPipelineKey>>().GetPipeline(LoomPipelines.Storage);

    /// <summary>Loop failures in a row (without a finished step) before a job is failed for good.</summary>
    private const int MaxLoopFailures = 5;

    private readonly SemaphoreSlim _writes = new(1, 1);
    private int _loopFailures;
    private Task? _loop;
    private CancellationTokenSource? _stop;
    private bool _cancelRequested;
    private JobCounters? _counters;
    private JobRecipe? _recipe;
    private JobArtifacts? _artifacts;
    private WindowRunTally? _windowRun;

    private string JobId => this.GetPrimaryKeyString();

    private RenderJobState Job => state.State;

    private JobArtifacts Artifacts => _artifacts ??= new JobArtifacts(JobId, latents, results, StorageRetry, metrics, logger);

    private IJobQueueGrain Queue => GrainFactory.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);

    private IJobIndexGrain Index => GrainFactory.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);

    /// <inheritdoc />
    public async Task<JobStatus> SubmitAsync(JobSpec spec, string? idempotencyKey = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? key = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey;
        if (Job.Spec is { } existing)
        {
            Job.CheckResubmit(JobId, spec, key);
            if (Job.Phase == JobPhase.Queued)
            {
                await Queue.EnqueueAsync(JobId, existing.Priority); // idempotent: repairs a submit whose enqueue failed
            }
            await RecordInIndexAsync(); // idempotent too: repairs a submit whose index entry failed
            return Status();
        }
        JobRecipe recipe = JobSpecValidator.Validate(spec, options.Value.Limits, catalog.Shapes);
        // Queue first, then persist: if the save fails the caller hears so, and the queue's admission finds no job and
        // drops it; if the enqueue fails nothing was persisted. Either way a submit that returned is never lost.
        // (The queue's one-way start can only run after this call returns.)
        await Queue.EnqueueAsync(JobId, spec.Priority);
        long epoch = Job.Epoch; // above the tombstone of a deleted job that had this id
        state.State = RenderJobState.Accepted(recipe, key, catalog.Shapes[spec.Model].Sha256, epoch);
        try
        {
            await SaveAsync();
        }
        catch
        {
            state.State = new RenderJobState { Epoch = epoch };
            throw;
        }
        _recipe = recipe;
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
        long epoch = Job.Epoch + 1;
        await Artifacts.DeleteAllAsync(epoch, Job.OutputPath);
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
        if (Job.Spec is null || IsFinal(Job.Phase))
        {
            await Queue.FinishedAsync(JobId);
            return;
        }
        if (Job.Phase == JobPhase.Queued)
        {
            Job.Phase = JobPhase.Running;
            Job.StartedAt = DateTimeOffset.UtcNow;
            Job.AdmissionOrder = admissionOrder;
            await SaveAsync();
            metrics.QueueWait.Observe(Math.Max(0, (Job.StartedAt.Value - Job.SubmittedAt).TotalSeconds));
            jobs.Seen(JobId, JobPhase.Running);
            await TryRecordInIndexAsync();
        }
        StartLoop();
    }

    /// <inheritdoc />
    public async Task EnsureRunningAsync(long admissionOrder)
    {
        if (Job.Spec is null || IsFinal(Job.Phase))
        {
            await Queue.FinishedAsync(JobId);
            return;
        }
        if (Job.Phase == JobPhase.Queued)
        {
            await StartAsync(admissionOrder); // the queue admitted it; its one-way start was lost or is still on its way
            return;
        }
        if (Job.Phase == JobPhase.Running && _loop is null)
        {
            if (jobs.Draining)
            {
                DeactivateOnIdle(); // this silo is leaving: the next heartbeat places the job on another
                return;
            }
            Job.Resumes++;
            LogResuming(logger, JobId, Job.StepsDone, silo.SiloAddress.ToString());
            StartLoop();
        }
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is not null)
        {
            jobs.Seen(JobId, Job.Phase);
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
        JobSpec spec = Job.Spec!;
        var counters = _counters = new JobCounters();
        JobRun? run = null;
        WanJobStages? wan = null;
        try
        {
            // A new epoch, saved (the save is ETag-checked, so a superseded activation fails here): this loop's
            // checkpoints carry it, and the store refuses them once a newer loop has written.
            long epoch = ++Job.Epoch;
            await SaveAsync();
            // Wan: the prompts (and an I2V image) are encoded here once, before sampling; the frames decoded here after it.
            wan = spec.IsWan ? await Task.Run(() => wanModels.Prepare(JobId, spec, catalog.Info(spec.Model).Path), cancellationToken) : null;
            run = await OpenRunAsync(_recipe ??= JobRecipe.Resolve(spec), counters, wan, cancellationToken);
            var fractions = new List<double>();
            var checkpoints = new CheckpointBehind();
            while (!run.IsDone)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DelayDeactivation(TimeSpan.FromMinutes(10));
                long started = Stopwatch.GetTimestamp();
                JobRun current = run;
                // Independent and chained runs go whole in one step; their windows' reports are the job's live progress.
                WindowRunTally? tally = run.Recipe.IsStepwise ? null : _windowRun = new WindowRunTally(run.Recipe.Windows.Windows.Count, spec.Steps, run.Recipe.PassesPerPrediction);
                JobStep step = await Task.Run(() => current.StepAsync(tally is null ? null : tally.Add, cancellationToken), cancellationToken);
                if (tally is not null)
                {
                    Job.CertainFractions = [.. tally.CertainFractions()];
                    _windowRun = null;
                }
                Report(step, run.Recipe, counters, Stopwatch.GetElapsedTime(started), fractions);
                bool draining = jobs.Draining && !run.IsDone;
                if (run.CheckpointDue || draining)
                {
                    // Written behind the next step (CheckpointBehind): its bytes are taken now, the write waited for at the next hand-over.
                    (int stepsDone, byte[] latent, double[] done) = (run.StepsDone, run.Checkpoint(), [.. fractions]);
                    fractions.Clear();
                    await checkpoints.HandOverAsync(stepsDone, () => CheckpointAsync(stepsDone, latent, done, epoch, cancellationToken));
                    if (_cancelRequested)
                    {
                        return;
                    }
                    if (draining)
                    {
                        await checkpoints.WaitAsync();
                        // The silo drains: stop here, checkpointed; the queue's heartbeat resumes the job elsewhere.
                        LogDrained(logger, JobId, Job.StepsDone);
                        DeactivateOnIdle();
                        return;
                    }
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            string output = OutputNames.Resolve(options.Value.OutputDirectory, JobId, spec.Output ?? "");
            var (latentHash, bytes, fileHash) = await Artifacts.SaveResultAsync(options.Value.OutputDirectory, output, run.Latent!, spec, cancellationToken, wan is null ? null : wan.Decode);
            await checkpoints.WaitAsync(); // the last checkpoint was written beside the result; the finish deletes it
            if (_cancelRequested)
            {
                return;
            }
            (Job.ResultBytes, Job.ResultSha256, Job.OutputPath, Job.LatentSha256) = (bytes, fileHash, output, latentHash);
            await FinishAsync(JobPhase.Completed, null);
            LogCompleted(logger, JobId, Job.Evaluations, Job.Shards.Count, output);
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
            run?.Dispose();
            wan?.Dispose();
            _loop = null;
            _windowRun = null;
            jobs.LoopEnded(JobId);
        }
    }

    /// <summary>A checkpoint's write: the latent to the store, then the job's state (steps done and their certain shares).</summary>
    private async Task CheckpointAsync(int stepsDone, byte[] latent, double[] fractions, long epoch, CancellationToken cancellationToken)
    {
        await Artifacts.SaveCheckpointAsync(stepsDone, latent, epoch, cancellationToken);
        Job.StepsDone = stepsDone;
        Job.CertainFractions.AddRange(fractions);
        if (_cancelRequested)
        {
            return;
        }
        long saving = Stopwatch.GetTimestamp();
        await SaveAsync();
        metrics.Phase(StepPhase.StateWrite, saving);
        jobs.Checkpointed(JobId);
    }

    /// <summary>
    /// The job's run, its windows evaluated on shards: resumed from the checkpoint when a co-denoising job has a sound
    /// one, else started fresh (a corrupt checkpoint's counts are dropped; whole independent or chained runs restart).
    /// </summary>
    private async Task<JobRun> OpenRunAsync(JobRecipe recipe, JobCounters counters, WanJobStages? wan, CancellationToken cancellationToken)
    {
        JobSpec spec = recipe.Spec;
        Func<TemporalWindow, FrameConditioning?, IVelocityField> field = (w, c) => new ShardWindowField(JobId, spec, w, c, router, counters, wan?.Inputs(w));
        if (!recipe.IsStepwise)
        {
            return JobRun.Start(recipe, field, wan?.Continuation);
        }
        var (checkpoint, corrupt) = await Artifacts.LoadCheckpointAsync(recipe, Job.Epoch, cancellationToken);
        if (corrupt)
        {
            Job.Evaluations = Job.RefineEvaluations = Job.SkippedEvaluations = 0;
            Job.Windows = WindowTally.Empty(recipe.Windows);
        }
        Job.StepsDone = checkpoint?.StepsDone ?? 0;
        Job.CertainFractions = Job.CertainFractions.Take(Job.StepsDone).ToList();
        return checkpoint is null ? JobRun.Start(recipe, field) : JobRun.Resume(recipe, field, checkpoint.StepsDone, checkpoint.Latent);
    }

    /// <summary>Folds a finished step into the state and the metrics; a co-denoising step's certain share waits in <paramref name="fractions"/> for its checkpoint.</summary>
    private void Report(JobStep step, JobRecipe recipe, JobCounters counters, TimeSpan took, List<double> fractions)
    {
        _loopFailures = 0;
        Job.Add(step, recipe, counters.TakeWindows(), counters);
        metrics.CountEvaluations(step.Evaluations - step.RefineEvaluations, step.RefineEvaluations, step.SkippedEvaluations);
        if (step.IsWholeRun)
        {
            Job.StepsDone = step.StepsDone;
            return;
        }
        metrics.StepDuration.Observe(took.TotalSeconds);
        metrics.Phase(StepPhase.Step, took.TotalSeconds);
        if (step.Refined)
        {
            metrics.CertainFraction.Observe(step.CertainFraction!.Value);
        }
        fractions.Add(step.CertainFraction!.Value);
    }

    /// <summary>Errors that would repeat on every resume: the job fails at once.</summary>
    private static bool IsPermanent(Exception e) => e is ArgumentException or InvalidDataException or InvalidJobSpecException or NotSupportedException or FormatException;

    private async Task FinishAsync(JobPhase phase, string? error)
    {
        if (IsFinal(Job.Phase))
        {
            return;
        }
        (JobPhase Phase, string? Error, DateTimeOffset? At) before = (Job.Phase, Job.Error, Job.FinishedAt);
        (Job.Phase, Job.Error, Job.FinishedAt) = (phase, error, DateTimeOffset.UtcNow);
        try
        {
            await SaveAsync();
        }
        catch
        {
            (Job.Phase, Job.Error, Job.FinishedAt) = before;
            throw;
        }
        jobs.Finished(JobId, phase);
        if (phase == JobPhase.Completed && Job.StartedAt is { } started)
        {
            metrics.JobDuration.Observe(Math.Max(0, (Job.FinishedAt!.Value - started).TotalSeconds));
        }
        await Artifacts.DeleteCheckpointAsync(Job.Epoch);
        await StorageRetry.ExecuteAsync(async _ => await Queue.FinishedAsync(JobId));
        await TryRecordInIndexAsync();
    }

    private JobIndexEntry IndexEntry() => new(JobId, Job.Spec!.Model, Job.Phase, Job.SubmittedAt, Job.IdempotencyKey, Owner: Job.Spec.Owner, FinishedAt: Job.FinishedAt);

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
        // Grain state may only be touched on the grain's scheduler: every retry continues on the captured context.
        ResilienceContext context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true);
        try
        {
            await StorageRetry.ExecuteAsync(async _ => await state.WriteStateAsync(), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            _writes.Release();
        }
    }

    private JobStatus Status()
    {
        JobStatus status = Job.ToStatus(JobId, silo.SiloAddress.ToParsableString(), _counters, retention.Value.ExpiresAt(Job.FinishedAt));
        // A whole run in progress reports its windows' steps as they end (folded into the state when it ends).
        return _windowRun is { } run && Job.Phase == JobPhase.Running
            ? status with
            {
                StepsDone = run.StepsDone,
                Evaluations = status.Evaluations + run.Evaluations,
                RefineEvaluations = status.RefineEvaluations + run.RefineEvaluations,
                SkippedEvaluations = status.SkippedEvaluations + run.SkippedEvaluations,
                CertainFractions = run.CertainFractions(),
            }
            : status;
    }

    private static bool IsFinal(JobPhase phase) => phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
}
