using System.Diagnostics;
using Loom.Contracts.Jobs;
using Loom.Grains.Routing;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using Microsoft.Extensions.Logging;
using static Loom.Grains.Jobs.RenderJobLog;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// A job's step loop, without Orleans: opens its <see cref="JobRun"/> (from the checkpoint when sound), runs its
/// steps off the host's scheduler, folds each into the state and the metrics, checkpoints when <see cref="StepPolicy"/>
/// says so, and stores the result. Its awaits return to the host's scheduler (no <c>ConfigureAwait(false)</c>): the
/// host's state may only be touched there.
/// </summary>
/// <param name="host">The job's host: its state, persistence and the silo's situation.</param>
/// <param name="fields">Where the job's windows are evaluated.</param>
/// <param name="artifacts">Where checkpoints and the result go.</param>
/// <param name="metrics">Step and evaluation metrics.</param>
/// <param name="logger">The job's logger.</param>
public sealed class JobLoop(IJobLoopHost host, IJobFields fields, JobArtifacts artifacts, LoomMetrics metrics, ILogger logger)
{
    private RenderJobState Job => host.Job;

    /// <summary>The checkpoint and failure policy, kept across the loop's restarts.</summary>
    public StepPolicy Policy { get; } = new();

    /// <summary>True when the last run ended in a passing failure: the job stays Running, to be resumed from its checkpoint.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>
    /// Runs the job from its checkpoint to its result under a new epoch, and ends it (Completed, or Failed when
    /// <see cref="Policy"/> says so). Never throws: a passing failure leaves the job Running for the queue's heartbeat
    /// to resume; a stop (cancel, deactivation) or a superseded loop leaves it to whoever stopped it.
    /// </summary>
    /// <param name="recipe">The job.</param>
    /// <param name="counters">The shards' counts for this run.</param>
    /// <param name="cancellationToken">Stops the loop (user cancel or deactivation).</param>
    public async Task RunJobAsync(JobRecipe recipe, JobCounters counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        JobSpec spec = recipe.Spec;
        JobRun? run = null;
        Interrupted = false;
        WanJobStages? wan = null;
        try
        {
            // A new epoch, saved (the save is ETag-checked, so a superseded activation fails here): this loop's
            // checkpoints carry it, and the store refuses them once a newer loop has written.
            long epoch = ++Job.Epoch;
            await host.SaveAsync();
            // Wan: the prompts (and an I2V image) are encoded here once, before sampling; the frames decoded here after it.
            wan = await fields.PrepareAsync(host.JobId, spec, cancellationToken);
            WanJobStages? stages = wan;
            run = await OpenAsync(recipe, (w, c) => fields.Field(host.JobId, spec, w, c, counters, stages), cancellationToken, stages?.Continuation,
                fields.Resident(host.JobId, epoch, recipe, counters, stages));
            var checkpoints = new CheckpointBehind();
            JobLoopEnd end = await RunAsync(run, counters, epoch, checkpoints, cancellationToken);
            if (end == JobLoopEnd.Drained)
            {
                // The silo drains: stopped here, checkpointed; the queue's heartbeat resumes the job elsewhere.
                LogDrained(logger, host.JobId, Job.StepsDone);
                host.Deactivate();
            }
            else if (end == JobLoopEnd.Done)
            {
                string output = OutputNames.Resolve(host.OutputDirectory, host.JobId, spec.Output ?? "");
                bool saved = await SaveResultAsync(run, host.OutputDirectory, output, wan is null ? null : wan.DecodeAsync, cancellationToken);
                await checkpoints.WaitAsync(); // the last checkpoint was written beside the result; the finish deletes it
                if (saved && !host.CancelRequested)
                {
                    await host.FinishAsync(JobPhase.Completed, null);
                    LogCompleted(logger, host.JobId, Job.Evaluations, Job.Shards.Count, output);
                }
            }
        }
        catch (Exception e)
        {
            await FailedAsync(e, cancellationToken.IsCancellationRequested);
        }
        finally
        {
            counters.End();
            run?.Dispose();
            wan?.Dispose();
            host.ShowLive(null);
        }
    }

    /// <summary>
    /// The job's run: resumed from the checkpoint when a co-denoising job has a sound one, else started fresh (a corrupt
    /// checkpoint's counts are dropped; whole independent or chained runs restart).
    /// </summary>
    /// <param name="recipe">The job.</param>
    /// <param name="field">The field of one window.</param>
    /// <param name="cancellationToken">Stops the checkpoint's load.</param>
    /// <param name="continuation">How a chained window continues the one before (chained image-to-video), or null.</param>
    /// <param name="resident">Opens a co-denoising job's windows on the shards for the run (resident windows), or null.</param>
    public async Task<JobRun> OpenAsync(
        JobRecipe recipe, Func<TemporalWindow, FrameConditioning?, IVelocityField> field, CancellationToken cancellationToken, WindowContinuation? continuation = null,
        JobRun.OpenResident? resident = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (!recipe.IsStepwise)
        {
            return JobRun.Start(recipe, field, continuation);
        }
        var (checkpoint, corrupt) = await artifacts.LoadCheckpointAsync(recipe, Job.Epoch, cancellationToken);
        if (corrupt)
        {
            Job.Evaluations = Job.RefineEvaluations = Job.SkippedEvaluations = 0;
            Job.Windows = WindowTally.Empty(recipe.Windows);
        }
        Job.StepsDone = checkpoint?.StepsDone ?? 0;
        Job.CertainFractions = Job.CertainFractions.Take(Job.StepsDone).ToList();
        return checkpoint is null ? JobRun.Start(recipe, field, resident: resident) : JobRun.Resume(recipe, field, checkpoint.StepsDone, checkpoint.Latent, resident);
    }

    /// <summary>Runs the steps left, checkpointing under <paramref name="epoch"/> (the store refuses it once a newer loop wrote).</summary>
    /// <param name="run">The run from <see cref="OpenAsync"/>.</param>
    /// <param name="counters">The shards' counts for the run.</param>
    /// <param name="epoch">This loop's epoch.</param>
    /// <param name="checkpoints">Where the checkpoints' writes run behind the next step; the caller waits for the last one before its result.</param>
    /// <param name="cancellationToken">Stops the loop (user cancel or deactivation).</param>
    internal async Task<JobLoopEnd> RunAsync(JobRun run, JobCounters counters, long epoch, CheckpointBehind checkpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(checkpoints);
        var fractions = new List<double>();
        while (!run.IsDone)
        {
            cancellationToken.ThrowIfCancellationRequested();
            host.KeepAlive();
            long started = Stopwatch.GetTimestamp();
            // Independent and chained runs go whole in one step; their windows' reports are the job's live progress.
            WindowRunTally? tally = run.Recipe.IsStepwise ? null : new WindowRunTally(run.Recipe.Windows.Windows.Count, run.Recipe.Steps, run.Recipe.PassesPerPrediction);
            host.ShowLive(tally);
            int moves = run.Moves;
            JobStep step = await Task.Run(() => run.StepAsync(tally is null ? null : tally.Add, cancellationToken), cancellationToken);
            if (run.Moves != moves)
            {
                LogWindowsMoved(logger, host.JobId, step.StepsDone - 1);
            }
            if (tally is not null)
            {
                Job.CertainFractions = [.. tally.CertainFractions()];
                host.ShowLive(null);
            }
            Report(step, run.Recipe, counters, Stopwatch.GetElapsedTime(started), fractions);
            bool draining = host.Draining;
            if (StepPolicy.CheckpointNow(run, draining))
            {
                // Written behind the next step (CheckpointBehind): its bytes are taken now (a resident run's gathered from its
                // windows beside the next step's rounds, which keep that latent until the step after), the write waited for at
                // the next hand-over.
                (int stepsDone, Task<byte[]> latent, double[] done) = (run.StepsDone, run.CheckpointAsync(cancellationToken), [.. fractions]);
                _ = latent.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); // observed even if the hand-over fails first
                fractions.Clear();
                await checkpoints.HandOverAsync(stepsDone, async () => await CheckpointAsync(stepsDone, await latent, done, epoch, cancellationToken));
                if (host.CancelRequested)
                {
                    return JobLoopEnd.Cancelled;
                }
                if (StepPolicy.StopsToDrain(run, draining))
                {
                    await checkpoints.WaitAsync();
                    return JobLoopEnd.Drained;
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return JobLoopEnd.Done;
    }

    /// <summary>A checkpoint's write: the latent to the store, then the job's state (steps done and their certain shares).</summary>
    private async Task CheckpointAsync(int stepsDone, byte[] latent, double[] fractions, long epoch, CancellationToken cancellationToken)
    {
        await artifacts.SaveCheckpointAsync(stepsDone, latent, epoch, cancellationToken);
        Job.StepsDone = stepsDone;
        Job.CertainFractions.AddRange(fractions);
        if (host.CancelRequested)
        {
            return;
        }
        long saving = Stopwatch.GetTimestamp();
        await host.SaveAsync();
        metrics.Phase(StepPhase.StateWrite, saving);
        host.Checkpointed();
    }

    /// <summary>
    /// Writes the finished run's result file to <paramref name="output"/>, stores a copy and records both in the state;
    /// false (nothing recorded) when the job was cancelled meanwhile.
    /// </summary>
    /// <param name="run">The finished run.</param>
    /// <param name="outputDirectory">Where results go.</param>
    /// <param name="output">The result file's path.</param>
    /// <param name="decode">Decodes the latent into frames (a Wan job), or null.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public async Task<bool> SaveResultAsync(JobRun run, string outputDirectory, string output, Func<Tensor, CancellationToken, Task<byte[]>>? decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (latentHash, bytes, fileHash) = await artifacts.SaveResultAsync(outputDirectory, output, run.Latent!, run.Recipe.Spec, cancellationToken, decode);
        if (host.CancelRequested)
        {
            return false;
        }
        (Job.ResultBytes, Job.ResultSha256, Job.OutputPath, Job.LatentSha256) = (bytes, fileHash, output, latentHash);
        return true;
    }

    private async Task FailedAsync(Exception e, bool cancelled)
    {
        switch (Policy.Classify(e, cancelled))
        {
            case LoopFault.Superseded:
                LogSuperseded(logger, host.JobId, e.Message);
                host.Deactivate();
                break;
            case LoopFault.Interrupted:
                LogInterrupted(logger, host.JobId, Policy.FailuresInRow, e.GetType().Name, e.Message);
                Interrupted = true;
                break;
            case LoopFault.Failed:
                LogFailed(logger, e, host.JobId);
                if (!host.CancelRequested)
                {
                    await host.FinishAsync(JobPhase.Failed, $"{e.GetType().Name}: {e.Message}");
                }
                break;
            default:
                break; // stopped: by the user (the cancel recorded it) or by deactivation (resumed from the checkpoint)
        }
    }

    /// <summary>Folds a finished step into the state and the metrics; a co-denoising step's certain share waits in <paramref name="fractions"/> for its checkpoint.</summary>
    private void Report(JobStep step, JobRecipe recipe, JobCounters counters, TimeSpan took, List<double> fractions)
    {
        Policy.Succeeded();
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
}
