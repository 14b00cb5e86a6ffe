using System.Diagnostics;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Loom.Silo;

/// <summary>
/// The graceful drain of a silo told to stop (SIGTERM, or any host shutdown), within <see cref="LoomHostOptions.DrainTimeout"/>.
/// It runs in <see cref="StoppingAsync"/>, before any hosted service stops, so Orleans, the heartbeat and the gRPC
/// endpoint still work while it does:
/// <list type="number">
/// <item>grpc.health.v1 answers NOT_SERVING; the shards are reported to the directory as draining, so routers on every
/// silo place new window evaluations on other shards; no job loop starts here any more.</item>
/// <item>Each job loop running here finishes its current step, checkpoints, stops and deactivates its grain; the job
/// queue's heartbeat resumes it on another silo from that checkpoint. A loop still running at 80% of the timeout is
/// cancelled and resumes from its previous checkpoint.</item>
/// <item>Jobs on other silos move their windows resident on these shards elsewhere at their next step (they see the
/// shards draining in the directory); the drain waits for that until 90% of the timeout. A window still here then is
/// lost with the silo and its job resumes from its last checkpoint.</item>
/// <item>The shards refuse new evaluations (a router that has not looked at the directory since retries elsewhere) and
/// the ones queued or running finish.</item>
/// </list>
/// Then the host stops Orleans, which leaves the cluster.
/// </summary>
public sealed partial class SiloDrain(
    ShardHost shards, ResidentWindows resident, LocalJobs jobs, SiloReadiness readiness, IGrainFactory grains, IClusterMembershipService membership, ILocalSiloDetails local,
    IOptions<LoomHostOptions> options, ILogger<SiloDrain> logger)
    : IHostedLifecycleService
{
    /// <summary>Routers read the directory at most a second old: after this long none places new work here.</summary>
    private static readonly TimeSpan RouterRefresh = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The least time readiness says NOT_SERVING before the silo leaves, so a probe or a client polling health sees the
    /// drain even when the loops stop in a fraction of a second.
    /// </summary>
    private static readonly TimeSpan NotServingAtLeast = TimeSpan.FromSeconds(1);

    /// <summary>How often the drain looks whether other silos' jobs have moved their resident windows off.</summary>
    private static readonly TimeSpan ResidentPoll = TimeSpan.FromMilliseconds(100);

    private volatile bool _started;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _started = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_started && options.Value.DrainTimeout > TimeSpan.Zero)
        {
            await DrainAsync(options.Value.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long began = Stopwatch.GetTimestamp();
        using var whole = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        whole.CancelAfter(timeout);
        LogDraining(logger, jobs.RunningLoops, shards.QueueDepth, timeout.TotalSeconds);

        readiness.Drain();
        jobs.BeginDrain();
        shards.BeginDrain();
        await ReportAsync(whole.Token).ConfigureAwait(false);

        using (var loops = CancellationTokenSource.CreateLinkedTokenSource(whole.Token))
        {
            loops.CancelAfter(timeout * 0.8);
            if (!await jobs.WaitForLoopsAsync(loops.Token).ConfigureAwait(false))
            {
                LogLoopsCut(logger, jobs.RunningLoops);
                jobs.StopLoops();
                await jobs.WaitForLoopsAsync(whole.Token).ConfigureAwait(false);
            }
        }
        double loopsDone = Stopwatch.GetElapsedTime(began).TotalSeconds;
        if (resident.InUse > 0)
        {
            LogWaitingForResident(logger, resident.InUse);
            using var moved = CancellationTokenSource.CreateLinkedTokenSource(whole.Token);
            moved.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (timeout * 0.9 - Stopwatch.GetElapsedTime(began)).Ticks)));
            while (resident.InUse > 0 && !moved.IsCancellationRequested)
            {
                await Task.Delay(ResidentPoll, moved.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
            if (resident.InUse > 0)
            {
                LogResidentLeft(logger, resident.InUse);
            }
        }

        // Only other silos' routers can still be placing work here; a lone silo (embedded mode) need not wait for them.
        bool others = membership.CurrentSnapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(local.SiloAddress));
        TimeSpan settle = RouterRefresh - Stopwatch.GetElapsedTime(began);
        if (others && settle > TimeSpan.Zero)
        {
            await Task.Delay(settle, whole.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        shards.StopAccepting();
        bool idle = await shards.WaitIdleAsync(whole.Token).ConfigureAwait(false);
        TimeSpan shown = NotServingAtLeast - Stopwatch.GetElapsedTime(began);
        if (shown > TimeSpan.Zero)
        {
            await Task.Delay(shown, whole.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        double total = Stopwatch.GetElapsedTime(began).TotalSeconds;
        if (idle && jobs.RunningLoops == 0)
        {
            LogDrained(logger, loopsDone, total);
        }
        else
        {
            LogDrainTimedOut(logger, total, jobs.RunningLoops, shards.QueueDepth);
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IShardDirectoryGrain>(0).ReportAsync(shards.Infos()).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The heartbeat reports the draining shards again every beat.
            LogReportFailed(logger, e.GetType().Name, e.Message);
        }
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: {Loops} job loops and {Evaluations} window evaluations here, at most {Seconds} s; health is NOT_SERVING")]
    private static partial void LogDraining(ILogger logger, int loops, int evaluations, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain: {Loops} job loops did not reach a step boundary in time; cancelled, they resume from their last checkpoint")]
    private static partial void LogLoopsCut(ILogger logger, int loops);

    [LoggerMessage(Level = LogLevel.Information, Message = "drain: waiting for {Windows} resident windows of jobs elsewhere to move off these shards at their next step")]
    private static partial void LogWaitingForResident(ILogger logger, int windows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain: {Windows} resident windows were not moved in time; their jobs resume from their last checkpoint")]
    private static partial void LogResidentLeft(ILogger logger, int windows);

    [LoggerMessage(Level = LogLevel.Information, Message = "drained: job loops checkpointed and stopped after {LoopSeconds:F1} s, shards idle after {Seconds:F1} s; leaving the cluster")]
    private static partial void LogDrained(ILogger logger, double loopSeconds, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain timed out after {Seconds:F1} s with {Loops} job loops and {Evaluations} evaluations left; leaving the cluster (they resume or are retried elsewhere)")]
    private static partial void LogDrainTimedOut(ILogger logger, double seconds, int loops, int evaluations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain: the shard directory was not told ({Error}: {Detail}); the heartbeat tells it")]
    private static partial void LogReportFailed(ILogger logger, string error, string detail);
}
