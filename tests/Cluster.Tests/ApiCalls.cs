using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.Cluster.Tests;

/// <summary>gRPC calls the API tests make: follow a job to its end, download its result.</summary>
internal static class ApiCalls
{
    /// <summary>A deadline for a unary call.</summary>
    public static DateTime Deadline() => DateTime.UtcNow.AddSeconds(60);

    /// <summary>Watches <paramref name="jobId"/> until its final event; returns the job as that event shows it.</summary>
    public static async Task<Job> WatchToEndAsync(JobService.JobServiceClient jobs, string jobId)
    {
        using AsyncServerStreamingCall<JobEvent> watch = jobs.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(3));
        Job last = null!;
        await foreach (JobEvent e in watch.ResponseStream.ReadAllAsync())
        {
            last = e.Job;
        }
        return last;
    }

    /// <summary>The result file of <paramref name="jobId"/> and the SHA-256 the server sent with it.</summary>
    public static async Task<(byte[] File, string Sha256)> DownloadAsync(JobService.JobServiceClient jobs, string jobId)
    {
        using AsyncServerStreamingCall<ResultChunk> call = jobs.DownloadResult(new DownloadResultRequest { JobId = jobId }, deadline: Deadline());
        using var file = new MemoryStream();
        string sha = "";
        await foreach (ResultChunk chunk in call.ResponseStream.ReadAllAsync())
        {
            sha = chunk.Offset == 0 ? chunk.Sha256 : sha;
            chunk.Data.WriteTo(file);
        }
        return (file.ToArray(), sha);
    }
}
