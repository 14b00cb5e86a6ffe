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

    /// <summary>Reports every event of <paramref name="jobId"/> until it is final, and returns the job as it ended.</summary>
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
            }
            catch (RpcException e) when (attempt < Reconnects && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Aborted or StatusCode.Unknown && !cancellationToken.IsCancellationRequested)
            {
                // The stream broke (a silo restarted, a proxy timed out): the job goes on; so do we.
            }
            // The stream ended or broke before the final event: ask, and if it is still going, watch again.
            Job now = await client.GetAsync(jobId, cancellationToken);
            if (IsFinal(now.State))
            {
                reporter.Report(label, new JobEvent { Kind = KindOf(now.State), Job = now });
                return now;
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
