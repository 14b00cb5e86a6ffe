using Grpc.Core;
using Loom.Client.Api;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>Follows a job's event stream to its end, reconnecting when the stream drops before the job is final.</summary>
internal static class JobFollower
{
    private const int Reconnects = 20;

    /// <summary>True for completed, failed and cancelled.</summary>
    public static bool IsFinal(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>
    /// Reports every event of <paramref name="jobId"/> until it is final, and returns the job as it ended. A stream that
    /// breaks or ends early, or whose silo drains (UNAVAILABLE), is followed again on the next server given (the same
    /// one when only one is); errors that would repeat (a refused field, DATA_LOSS, a server bug) end it.
    /// </summary>
    public static async Task<Job> FollowAsync(LoomClient client, string jobId, string label, IJobReporter reporter, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await foreach (JobEvent e in client.WatchAsync(jobId, cancellationToken))
                {
                    reporter.Report(label, e);
                    if (IsFinal(e.Job.State))
                    {
                        return e.Job;
                    }
                }
                // The stream ended or broke before the final event: ask, and if it is still going, watch again.
                Job now = await client.GetAsync(jobId, cancellationToken);
                if (IsFinal(now.State))
                {
                    reporter.Report(label, new JobEvent { Kind = KindOf(now.State), Job = now });
                    return now;
                }
            }
            catch (RpcException e) when (attempt < Reconnects && RpcFailure.IsRetryable(e) && !cancellationToken.IsCancellationRequested)
            {
                // The silo drains or went away, a proxy timed out: the job goes on elsewhere; so do we.
                client.FailOver();
            }
            if (attempt >= Reconnects)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"lost the event stream of job {jobId} {Reconnects} times"));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 << Math.Min(attempt, 5))), cancellationToken);
        }
    }

    private static JobEventKind KindOf(JobState state) => state switch
    {
        JobState.Completed => JobEventKind.Completed,
        JobState.Failed => JobEventKind.Failed,
        _ => JobEventKind.Cancelled,
    };
}
