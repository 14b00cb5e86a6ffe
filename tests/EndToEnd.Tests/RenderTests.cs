using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>Submit, watch to completion, download: the whole life of a job through the API.</summary>
[Collection(SiloCollection.Name)]
public sealed class RenderTests(SiloFixture silo)
{
    [Fact]
    public async Task A_job_is_watched_to_completion_and_its_video_downloaded()
    {
        Job submitted = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 31) }, SiloFixture.Deadline());
        Assert.Equal(3, submitted.StepsTotal);
        Assert.Equal(2, submitted.Windows.Count);
        Assert.Equal(3 + 1, submitted.PlannedWindowEvaluations); // 3 base predictions, 1 refinement at step 1, no guidance

        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, submitted.JobId);

        Assert.Equal(JobEventKind.Snapshot, events[0].Kind);
        Assert.Equal(JobEventKind.Completed, events[^1].Kind);
        Assert.Single(events, e => e.Kind == JobEventKind.Completed);
        Assert.DoesNotContain(events, e => e.Kind is JobEventKind.Failed or JobEventKind.Cancelled);
        if (events[0].Job.State == JobState.Queued)
        {
            Assert.Contains(events, e => e.Kind == JobEventKind.Started);
        }
        int[] steps = events.Where(e => e.Kind == JobEventKind.Step).Select(e => e.Job.StepsDone).ToArray();
        Assert.NotEmpty(steps);
        Assert.Equal(steps.Order().Distinct(), steps);
        Assert.All(events.Zip(events.Skip(1)), p => Assert.True(p.Second.Job.StepsDone >= p.First.Job.StepsDone));
        Assert.All(events.Zip(events.Skip(1)), p => Assert.True(p.Second.At.ToDateTimeOffset() >= p.First.At.ToDateTimeOffset()));

        Job done = events[^1].Job;
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(3, done.StepsDone);
        Assert.Equal(done.Evaluations, done.Windows.Sum(w => w.Evaluations));
        Assert.Equal(done.SkippedEvaluations, done.Windows.Sum(w => w.Skipped));
        Assert.Equal([0, 4], done.Windows.Select(w => w.FirstFrame));
        // Two windows: resident on the shards, the default. Each window's latent went out once (float32, exact) and the
        // whole latent came back once per checkpoint (every step; the last one is the result).
        long windowValues = 3L * done.Windows[0].Length * 32 * 32, videoValues = 3L * 12 * 32 * 32;
        Assert.Equal(2 * windowValues * 4, done.BytesSent);
        Assert.Equal(3 * videoValues * 4, done.BytesReceived);
        ClusterStatus cluster = await silo.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), SiloFixture.Deadline());
        Assert.Equal(cluster.Models.Single(m => m.Name == "physics").Sha256, done.ModelSha256);
        Assert.True(File.Exists(done.OutputPath));
        Assert.StartsWith(silo.OutputDirectory, done.OutputPath, StringComparison.Ordinal);

        byte[] written = await File.ReadAllBytesAsync(done.OutputPath);
        File.Delete(done.OutputPath); // the download comes from the result store, not from the output path
        (byte[] file, string sha) = await DownloadAsync(done.JobId);

        Assert.Equal(done.ResultBytes, file.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant(), sha);
        Assert.Equal(written, file);
        JsonElement video = Header(file).GetProperty("video");
        Assert.Equal("U8", video.GetProperty("dtype").GetString());
        Assert.Equal([12, 32, 32, 3], video.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public async Task An_unfinished_job_has_no_result_and_a_cancelled_one_ends_its_watch()
    {
        Job job = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Long(seed: 32) }, SiloFixture.Deadline());

        RpcException early = await Requests.FailsAsync(() => DownloadAsync(job.JobId));
        Job cancelled = await silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.JobId, Reason = "end-to-end test" }, SiloFixture.Deadline());
        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, job.JobId, seconds: 30);
        RpcException late = await Requests.FailsAsync(() => DownloadAsync(job.JobId));

        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal("end-to-end test", cancelled.Error);
        Assert.Equal([JobEventKind.Snapshot, JobEventKind.Cancelled], events.Select(e => e.Kind));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
    }

    [Fact]
    public async Task A_job_says_how_many_evaluations_each_window_is_planned_to_take()
    {
        JobSpec spec = Requests.Long(seed: 33);
        spec.Plan = "1-4:2,10:3";
        spec.Guidance = 2.5;
        Job job = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, SiloFixture.Deadline());
        Job again = await silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.JobId, Reason = "end-to-end test" }, SiloFixture.Deadline());

        // (400 steps + 4 x 2 + 3 refinement iterations) x 2 with guidance: the progress bar's length, not re-parsed by clients.
        Assert.Equal((400 + 8 + 3) * 2, job.PlannedWindowEvaluations);
        Assert.Equal(job.PlannedWindowEvaluations, again.PlannedWindowEvaluations);
    }

    [Fact]
    public async Task Unknown_jobs_are_not_found_everywhere()
    {
        string jobId = $"never-{Guid.NewGuid():N}";

        RpcException get = await Requests.FailsAsync(() => silo.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, SiloFixture.Deadline()).ResponseAsync);
        RpcException cancel = await Requests.FailsAsync(() => silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, SiloFixture.Deadline()).ResponseAsync);
        RpcException watch = await Requests.FailsAsync(() => Requests.WatchAllAsync(silo.Jobs, jobId, seconds: 10));
        RpcException download = await Requests.FailsAsync(() => DownloadAsync(jobId));

        Assert.All(new[] { get, cancel, watch, download }, e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
    }

    private async Task<(byte[] File, string Sha256)> DownloadAsync(string jobId)
    {
        using AsyncServerStreamingCall<ResultChunk> call = silo.Jobs.DownloadResult(new DownloadResultRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(60));
        using var file = new MemoryStream();
        string sha = "";
        long total = -1;
        await foreach (ResultChunk chunk in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(file.Length, chunk.Offset);
            Assert.True(chunk.Data.Length <= 1 << 20);
            total = total < 0 ? chunk.TotalBytes : total;
            Assert.Equal(total, chunk.TotalBytes);
            sha = chunk.Offset == 0 ? chunk.Sha256 : sha;
            chunk.Data.WriteTo(file);
        }
        Assert.Equal(total, file.Length);
        return (file.ToArray(), sha);
    }

    /// <summary>The JSON header of a safetensors file: an 8-byte little-endian length, then the JSON.</summary>
    private static JsonElement Header(byte[] file)
    {
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        return JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, (int)length)).RootElement;
    }
}
