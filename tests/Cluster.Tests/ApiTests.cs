using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Loom.Protos.V1;

namespace Loom.Cluster.Tests;

/// <summary>The gRPC API of a Redis cluster: any silo answers for any job, and serves its result.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class ApiTests(SharedCluster shared)
{
    private LoomTestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task A_job_submitted_to_one_silo_is_followed_listed_and_downloaded_through_every_silo()
    {
        GrpcChannel[] channels = Cluster.Silos.Select(s => GrpcChannel.ForAddress($"http://127.0.0.1:{s.GrpcPort}")).ToArray();
        try
        {
            JobService.JobServiceClient[] jobs = channels.Select(c => new JobService.JobServiceClient(c)).ToArray();
            var spec = new JobSpec { Frames = 8, Steps = 3, Plan = "1:1", WindowLength = 8, WindowOverlap = 0, Seed = 77 };
            Job submitted = await jobs[0].SubmitJobAsync(new SubmitJobRequest { Spec = spec, IdempotencyKey = "api-test" }, deadline: ApiCalls.Deadline());

            Job done = await ApiCalls.WatchToEndAsync(jobs[1], submitted.JobId);

            Assert.Equal(JobState.Completed, done.State);
            byte[] written = await File.ReadAllBytesAsync(done.OutputPath);
            File.Delete(done.OutputPath); // served from the result store (a folder every silo shares), not from the disk of the silo that wrote it
            foreach (JobService.JobServiceClient client in jobs)
            {
                (byte[] file, string sha) = await ApiCalls.DownloadAsync(client, done.JobId);
                Assert.Equal(written, file);
                Assert.Equal(Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant(), sha);
                ListJobsResponse listed = await client.ListJobsAsync(new ListJobsRequest { States = { JobState.Completed }, PageSize = 1000 }, deadline: ApiCalls.Deadline());
                Assert.Contains(listed.Jobs, j => j.JobId == done.JobId && j.IdempotencyKey == "api-test");
            }
            ClusterStatus status = await new ClusterService.ClusterServiceClient(channels[2]).GetClusterStatusAsync(new GetClusterStatusRequest(), deadline: ApiCalls.Deadline());
            Assert.Equal(3, status.Silos.Count(s => s.Status == "Active"));
            Assert.Equal(3 * Cluster.ShardsPerSilo, status.Shards.Count);
        }
        finally
        {
            foreach (GrpcChannel channel in channels)
            {
                channel.Dispose();
            }
        }
    }
}
