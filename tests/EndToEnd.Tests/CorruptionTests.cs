using System.Buffers.Binary;
using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// Corrupt stored data is caught, never used or served: a bad checkpoint restarts its job from step 0 (same bits), a
/// bad stored result is DATA_LOSS, and one unreadable job state leaves ListJobs working for every other job.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class CorruptionTests(SiloFixture silo)
{
    /// <summary>Latent bytes of <see cref="Requests.Small"/>: 3 channels, 12 frames of 32x32, float32.</summary>
    private const int SmallLatentBytes = 3 * 12 * 32 * 32 * 4;

    /// <summary>Checkpoints planted where the job will look for one, by name.</summary>
    public static TheoryData<string> BadCheckpoints() => new(PlantedCheckpoints.Keys);

    private static readonly Dictionary<string, Func<byte[]>> PlantedCheckpoints = new()
    {
        ["a checkpoint of garbage without a checksum"] = () => Checkpoint(1, Garbage(SmallLatentBytes)),
        ["a checkpoint at step 9999"] = () => Checkpoint(9999, new byte[SmallLatentBytes]),
        ["a checkpoint cut short"] = () => [1, 0],
        ["a checkpoint of the wrong size"] = () => Checkpoint(2, new byte[SmallLatentBytes / 2]),
    };

    [Theory]
    [MemberData(nameof(BadCheckpoints))]
    public async Task A_corrupt_checkpoint_is_not_used_and_the_job_gives_the_same_bits(string name)
    {
        string jobId = $"corrupt-checkpoint-{Guid.NewGuid():N}";
        string planted = StoredFiles.Checkpoint(silo.DataDirectory, jobId);
        Directory.CreateDirectory(Path.GetDirectoryName(planted)!);
        await File.WriteAllBytesAsync(planted, PlantedCheckpoints[name]());

        Job reference = await RunAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 31) });
        Job job = await RunAsync(new SubmitJobRequest { JobId = jobId, Spec = Requests.Small(seed: 31) });

        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(reference.StepsTotal, job.StepsDone);
        Assert.Equal(reference.LatentSha256, job.LatentSha256);
        Assert.Equal(reference.Evaluations, job.Evaluations);
        Assert.Contains($"job {jobId}: its checkpoint is unusable", silo.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_stored_result_is_never_served()
    {
        Job job = await RunAsync(new SubmitJobRequest { JobId = $"corrupt-result-{Guid.NewGuid():N}", Spec = Requests.Small(seed: 32) });
        byte[] good = await Requests.DownloadAsync(silo.Jobs, job.JobId);
        string stored = StoredFiles.Result(silo.DataDirectory, job.JobId);
        Assert.Equal(good, await File.ReadAllBytesAsync(stored));

        // The stored copy cut short: the output file still matches what the job wrote, so that one is served.
        await File.WriteAllBytesAsync(stored, good[..(good.Length / 2)]);
        Assert.Equal(good, await Requests.DownloadAsync(silo.Jobs, job.JobId));

        // Both copies bad: nothing is served.
        byte[] flipped = (byte[])good.Clone();
        flipped[^100] ^= 0x40;
        await File.WriteAllBytesAsync(job.OutputPath, flipped);
        RpcException lost = await Requests.FailsAsync(() => Requests.DownloadAsync(silo.Jobs, job.JobId));

        Assert.Equal(StatusCode.DataLoss, lost.StatusCode);
        Assert.Contains("corrupt", lost.Status.Detail, StringComparison.Ordinal);
        Assert.Matches(@"loom_corrupt_data_total\{kind=""result""\} [1-9]", await Requests.MetricsAsync(silo));
    }

    [Fact]
    public async Task One_unreadable_job_state_leaves_ListJobs_working_and_is_reported()
    {
        SiloFixture first = await SiloFixture.StartAsync();
        SiloFixture? second = null;
        try
        {
            string broken = $"broken-{Guid.NewGuid():N}", kept = $"kept-{Guid.NewGuid():N}";
            foreach (string jobId in new[] { broken, kept })
            {
                await first.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = jobId, Spec = Requests.Small(seed: 33) }, SiloFixture.Deadline());
                await Requests.WatchAllAsync(first.Jobs, jobId);
            }
            await first.Silo.TerminateAsync(TimeSpan.FromSeconds(60));
            await File.WriteAllBytesAsync(StoredFiles.JobState(first.DataDirectory, broken), Garbage(300));

            second = await SiloFixture.StartAsync($"DataDirectory={first.DataDirectory}");
            ListJobsResponse list = await second.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 100 }, SiloFixture.Deadline());
            RpcException get = await Requests.FailsAsync(() => second.Jobs.GetJobAsync(new GetJobRequest { JobId = broken }, SiloFixture.Deadline()).ResponseAsync);

            Assert.Equal([kept], list.Jobs.Select(j => j.JobId));
            Assert.Equal(StatusCode.DataLoss, get.StatusCode);
            Assert.Matches(@"loom_corrupt_data_total\{kind=""job_state""\} [1-9]", await Requests.MetricsAsync(second));
            Assert.Contains($"job {broken}: its state cannot be read", second.Log, StringComparison.Ordinal);
        }
        finally
        {
            // The second silo first: the first fixture's disposal deletes the data folder both used.
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            await first.DisposeAsync();
        }
    }

    private async Task<Job> RunAsync(SubmitJobRequest request)
    {
        Job submitted = await silo.Jobs.SubmitJobAsync(request, SiloFixture.Deadline());
        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, submitted.JobId);
        return events[^1].Job;
    }

    /// <summary>The checkpoint format of old, without a checksum: the step (int32 LE), then the latent.</summary>
    private static byte[] Checkpoint(int step, byte[] latent)
    {
        var bytes = new byte[4 + latent.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, step);
        latent.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] Garbage(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
