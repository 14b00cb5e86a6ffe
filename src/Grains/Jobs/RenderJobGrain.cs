using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Loom.Grains.Resilience;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
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
    IJobFields fields,
    ILatentStore latents,
    IResultStore results,
    IOptions<LoomResultsOptions> retention,
    ModelCatalog catalog,
    IOptions<LoomJobOptions> options,
    ILocalSiloDetails silo,
    LocalJobs jobs,
    LoomMetrics metrics,
    ILogger<RenderJobGrain> logger) : Grain, IRenderJobGrain, IJobLoopHost
{
    private ResiliencePipeline StorageRetry => field ??= ServiceProvider.GetRequiredService<ResiliencePipelineProvider<LoomPipelineKey>>().GetPipeline(LoomPipelines.Storage);

    private Task? _loop;
    private CancellationTokenSource? _stop;
    private bool _cancelRequested;
    private JobCounters? _counters;
    private JobRecipe? _recipe;
    private JobArtifacts? _artifacts;
    private JobLoop? _jobLoop;

    /// <summary>How soon an interrupted loop resumes from its checkpoint on its own.</summary>
    private static readonly TimeSpan ResumeAfter = TimeSpan.FromSeconds(1);

    private IGrainTimer? _resumeSoon;
    private WindowRunTally? _windowRun;

    private string JobId => this.GetPrimaryKeyString();

    private RenderJobState Job => state.State;

    private JobArtifacts Artifacts => _artifacts ??= new JobArtifacts(JobId, latents, results, StorageRetry, metrics, logger);

    private JobLoop Loop => _jobLoop ??= new JobLoop(this, fields, Artifacts, metrics, logger);

    private IJobQueueGrain Queue => GrainFactory.GetGrain<IJobQueueGrain>(JobQueueGrain.Key);

    private JobListing Listing => field ??= new JobListing(JobId, GrainFactory.GetGrain<IJobIndexGrain>(JobIndexGrain.Key), StorageRetry, logger);

    private StateWrites Writes => field ??= new StateWrites(StorageRetry);

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
            await Listing.RecordAsync(Job); // idempotent too: repairs a submit whose index entry failed
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
        await Listing.RecordAsync(Job);
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
        await Listing.RemoveAsync();
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
            await Listing.TryRecordAsync(Job);
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
        try
        {
            await Loop.RunJobAsync(_recipe ??= JobRecipe.Resolve(Job.Spec!), _counters = new JobCounters(), cancellationToken);
        }
        finally
        {
            _loop = null;
            jobs.LoopEnded(JobId);
            if (Loop.Interrupted && !cancellationToken.IsCancellationRequested)
            {
                // Resumed from here shortly, not only by the queue's heartbeat: the queue's grain may sit on the very silo
                // that hung (a resident window's round timed out there), and then no heartbeat gets through until
                // membership declares that silo dead.
                _resumeSoon?.Dispose();
                _resumeSoon = this.RegisterGrainTimer(static (self, _) => self.ResumeSoonAsync(), this, new GrainTimerCreationOptions(ResumeAfter, Timeout.InfiniteTimeSpan));
            }
        }
    }

    private Task ResumeSoonAsync()
    {
        _resumeSoon?.Dispose();
        _resumeSoon = null;
        return EnsureRunningAsync(Job.AdmissionOrder);
    }

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
        await Listing.TryRecordAsync(Job);
    }

    private Task SaveAsync() => Writes.RunAsync(state.WriteStateAsync);

    private JobStatus Status()
    {
        JobStatus status = Job.ToStatus(JobId, silo.SiloAddress.ToParsableString(), _counters, retention.Value.ExpiresAt(Job.FinishedAt));
        return _windowRun is { } run ? run.Over(status) : status; // a whole run in progress shows its windows' steps
    }

    RenderJobState IJobLoopHost.Job => Job;

    string IJobLoopHost.JobId => JobId;

    string IJobLoopHost.OutputDirectory => options.Value.OutputDirectory;

    void IJobLoopHost.Deactivate() => DeactivateOnIdle();

    Task IJobLoopHost.FinishAsync(JobPhase phase, string? error) => FinishAsync(phase, error);

    bool IJobLoopHost.Draining => jobs.Draining;

    bool IJobLoopHost.CancelRequested => _cancelRequested;

    void IJobLoopHost.KeepAlive() => DelayDeactivation(TimeSpan.FromMinutes(10));

    void IJobLoopHost.ShowLive(WindowRunTally? run) => _windowRun = run;

    Task IJobLoopHost.SaveAsync() => SaveAsync();

    void IJobLoopHost.Checkpointed() => jobs.Checkpointed(JobId);

    private static bool IsFinal(JobPhase phase) => phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
}
