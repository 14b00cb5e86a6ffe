using Grpc.Core;
using Loom.Client.Api;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>
/// One status channel for many jobs: a single loop polls <c>GetJobs</c> with the ids still being waited for (in calls
/// of at most <see cref="IdsPerCall"/>), reports each change once, and completes each waiter when its job is final.
/// It holds no stream and remembers only the jobs in flight, so a batch of any size costs the client and the silo the
/// same. A poll that fails with a retryable error moves to the next server given and tries again; an error that would
/// repeat, or <see cref="Failures"/> in a row, fails every waiter with it.
/// </summary>
internal sealed class JobPoller : IAsyncDisposable
{
    /// <summary>Ids per GetJobs call (the server's limit).</summary>
    public const int IdsPerCall = 1000;

    /// <summary>Failed polls in a row before the waiters hear of it.</summary>
    public const int Failures = 20;

    /// <summary>Shortest pause between polls; longer with many jobs in flight (see <see cref="PerId"/>).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Pause per id polled: the silo answers at most ~250 job statuses a second for one batch (256 in flight: a look at
    /// each every second; the per-job watch streams looked 5 times a second at every job).
    /// </summary>
    public static readonly TimeSpan PerId = TimeSpan.FromMilliseconds(4);

    private readonly LoomClient _client;
    private readonly IJobReporter _reporter;
    private readonly Dictionary<string, Waiter> _waiting = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _loop;

    public JobPoller(LoomClient client, IJobReporter reporter)
    {
        _client = client;
        _reporter = reporter;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>Waits until <paramref name="job"/> is final, reporting its changes as <paramref name="label"/>; returns it as it ended, in full.</summary>
    public async Task<Job> WaitAsync(Job job, string label, CancellationToken cancellationToken = default)
    {
        if (!JobFollower.IsFinal(job.State))
        {
            var waiter = new Waiter(label, TaskCompletionSource(), job);
            lock (_waiting)
            {
                _waiting[job.JobId] = waiter;
            }
            _wake.Release();
            try
            {
                await waiter.Final.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                lock (_waiting)
                {
                    _waiting.Remove(job.JobId);
                }
            }
        }
        // The polls are brief; the job as it ended carries its windows and certain fractions for the sidecar.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Job ended = await _client.GetAsync(job.JobId, cancellationToken);
                _reporter.Report(label, new JobEvent { Kind = KindOf(ended.State), Job = ended });
                return ended;
            }
            catch (RpcException e) when (RpcFailure.IsRetryable(e) && attempt < Failures && !cancellationToken.IsCancellationRequested)
            {
                _client.FailOver();
                await Task.Delay(Interval * Math.Min(8, attempt), cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _wake.Dispose();
    }

    private static TaskCompletionSource TaskCompletionSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        int failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string[] ids;
            lock (_waiting)
            {
                ids = [.. _waiting.Keys];
            }
            if (ids.Length == 0)
            {
                await _wake.WaitAsync(cancellationToken); // nothing in flight: sleep until a job is added
                continue;
            }
            try
            {
                foreach (string[] chunk in ids.Chunk(IdsPerCall))
                {
                    GetJobsResponse response = await _client.GetManyAsync(chunk, brief: true, cancellationToken);
                    Apply(response);
                }
                failures = 0;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (RpcFailure.IsRetryable(e) && ++failures < Failures)
                {
                    _client.FailOver(); // the silo drains or went away: jobs go on elsewhere, and so do the polls
                }
                else
                {
                    FailAll(e);
                    failures = 0;
                }
            }
            TimeSpan pause = (Interval > PerId * ids.Length ? Interval : PerId * ids.Length) * (failures == 0 ? 1 : Math.Min(8, failures));
            await Task.Delay(pause, cancellationToken);
        }
    }

    private void Apply(GetJobsResponse response)
    {
        var changed = new List<(Waiter Waiter, JobEvent Event)>();
        lock (_waiting)
        {
            foreach (Job job in response.Jobs)
            {
                if (!_waiting.TryGetValue(job.JobId, out Waiter? waiter))
                {
                    continue;
                }
                Job last = waiter.Last;
                if (job.State != last.State || job.StepsDone != last.StepsDone || job.Evaluations != last.Evaluations)
                {
                    JobEventKind kind = job.StepsDone > last.StepsDone ? JobEventKind.Step : KindOf(job.State);
                    changed.Add((waiter, new JobEvent { Kind = kind, Job = job }));
                    waiter.Last = job;
                }
            }
            foreach (string missing in response.Missing)
            {
                if (_waiting.TryGetValue(missing, out Waiter? waiter))
                {
                    waiter.Final.TrySetException(new RpcException(new Status(StatusCode.NotFound, $"job '{missing}' no longer exists (deleted?)")));
                }
            }
        }
        foreach ((Waiter waiter, JobEvent e) in changed)
        {
            if (JobFollower.IsFinal(e.Job.State))
            {
                waiter.Final.TrySetResult(); // its final event is reported with the full job
            }
            else
            {
                _reporter.Report(waiter.Label, e);
            }
        }
    }

    private void FailAll(RpcException e)
    {
        lock (_waiting)
        {
            foreach (Waiter waiter in _waiting.Values)
            {
                waiter.Final.TrySetException(e);
            }
        }
    }

    private static JobEventKind KindOf(JobState state) => state switch
    {
        JobState.Queued => JobEventKind.Queued,
        JobState.Running => JobEventKind.Started,
        JobState.Completed => JobEventKind.Completed,
        JobState.Failed => JobEventKind.Failed,
        JobState.Cancelled => JobEventKind.Cancelled,
        _ => JobEventKind.Snapshot,
    };

    /// <summary>One job being waited for: its label, what was last reported, and the waiter's completion.</summary>
    private sealed class Waiter(string label, TaskCompletionSource final, Job last)
    {
        public string Label { get; } = label;

        public TaskCompletionSource Final { get; } = final;

        public Job Last { get; set; } = last;
    }
}
