using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>Requests and checks the end-to-end tests share.</summary>
public static class Requests
{
    /// <summary>A small, quick job: 12 frames in two windows of 8 (overlap 4), 3 steps, one refinement iteration at step 1.</summary>
    public static JobSpec Small(long seed) => new()
    {
        Frames = 12,
        Steps = 3,
        Plan = "1:1",
        WindowLength = 8,
        WindowOverlap = 4,
        Seed = seed,
    };

    /// <summary>A job long enough to be caught before it completes (cancel it when done).</summary>
    public static JobSpec Long(long seed) => new() { Frames = 8, Steps = 400, Plan = "none", WindowLength = 8, WindowOverlap = 0, Seed = seed };

    /// <summary>Runs <paramref name="call"/> and returns the RPC error it must end in.</summary>
    public static async Task<RpcException> FailsAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("the call succeeded; an RpcException was expected.");
    }

    /// <summary>Every event of a watch, until the server closes the stream.</summary>
    public static async Task<List<JobEvent>> WatchAllAsync(JobService.JobServiceClient jobs, string jobId, int seconds = 180)
    {
        using AsyncServerStreamingCall<JobEvent> watch = jobs.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(seconds));
        var events = new List<JobEvent>();
        await foreach (JobEvent e in watch.ResponseStream.ReadAllAsync())
        {
            events.Add(e);
        }
        return events;
    }

    /// <summary>How many jobs the silo lists in <paramref name="states"/> (all when none).</summary>
    public static async Task<int> CountAsync(JobService.JobServiceClient jobs, params JobState[] states)
    {
        var request = new ListJobsRequest { PageSize = 1 };
        request.States.AddRange(states);
        return (await jobs.ListJobsAsync(request, SiloFixture.Deadline())).Total;
    }

    /// <summary>The result of a completed job as DownloadResult streams it.</summary>
    public static async Task<byte[]> DownloadAsync(JobService.JobServiceClient jobs, string jobId)
    {
        using AsyncServerStreamingCall<ResultChunk> call = jobs.DownloadResult(new DownloadResultRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(60));
        using var bytes = new MemoryStream();
        await foreach (ResultChunk chunk in call.ResponseStream.ReadAllAsync())
        {
            chunk.Data.WriteTo(bytes);
        }
        return bytes.ToArray();
    }

    /// <summary>The text of the silo's /metrics.</summary>
    public static async Task<string> MetricsAsync(SiloFixture silo)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.Silo.MetricsPort}/metrics"));
    }

    /// <summary>The value of the unlabelled series <paramref name="name"/> in a /metrics text.</summary>
    public static double Gauge(string metrics, string name)
    {
        string? line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? throw new InvalidOperationException($"{name} is not in /metrics") : double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
