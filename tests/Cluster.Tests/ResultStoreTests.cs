using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Grpc.Core;
using Grpc.Net.Client;
using Loom.Protos.V1;
using StackExchange.Redis;

namespace Loom.Cluster.Tests;

/// <summary>
/// Results in an S3-compatible object store (a real s3rver) while Redis keeps state only: a job's video round-trips
/// through the object store, a damaged object is never served, delete and retention remove the object with the job.
/// </summary>
public sealed class ResultStoreTests
{
    private static readonly JobSpec Spec = new() { Frames = 8, Steps = 3, Plan = "1:1", WindowLength = 8, WindowOverlap = 0 };

    [S3Fact]
    public async Task A_result_round_trips_through_the_object_store_a_damaged_one_is_data_loss_and_delete_removes_it()
    {
        await using S3Server s3 = await S3Server.StartAsync();
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1, settings: s3.Settings("round-trip/"));
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{cluster.Silos[0].GrpcPort}");
        var jobs = new JobService.JobServiceClient(channel);
        using AmazonS3Client client = Client(s3);

        Job done = await RenderAsync(jobs, seed: 5);
        Assert.Equal(JobState.Completed, done.State);
        Assert.NotNull(done.ExpiresAt); // the default retention: 7 days after it finished
        Assert.Equal(TimeSpan.FromDays(7), done.ExpiresAt.ToDateTime() - done.FinishedAt.ToDateTime());
        byte[] written = await File.ReadAllBytesAsync(done.OutputPath);
        string key = $"round-trip/{ObjectName(done.JobId)}";
        Assert.Equal(written, await GetAsync(client, key)); // the object store holds the result itself
        await using (ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync($"{cluster.Redis.ConnectionString},allowAdmin=true"))
        {
            Assert.Empty(redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "*result*")); // and Redis does not
        }
        File.Delete(done.OutputPath); // the silo's own copy gone: the download can only come from the object store

        (byte[] file, string sha) = await ApiCalls.DownloadAsync(jobs, done.JobId);
        Assert.Equal(written, file);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(written)), sha);

        byte[] damaged = (byte[])written.Clone();
        damaged[^1] ^= 0x40;
        await client.PutObjectAsync(new PutObjectRequest { BucketName = S3Server.Bucket, Key = key, InputStream = new MemoryStream(damaged), UseChunkEncoding = false });
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => ApiCalls.DownloadAsync(jobs, done.JobId));
        Assert.Equal(StatusCode.DataLoss, refused.StatusCode);

        await jobs.DeleteJobAsync(new DeleteJobRequest { JobId = done.JobId }, deadline: ApiCalls.Deadline());
        Assert.Null(await GetAsync(client, key));
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => jobs.GetJobAsync(new GetJobRequest { JobId = done.JobId }, deadline: ApiCalls.Deadline()).ResponseAsync)).StatusCode);
    }

    [S3Fact]
    public async Task A_finished_job_expires_with_its_result_after_the_retention()
    {
        await using S3Server s3 = await S3Server.StartAsync();
        Dictionary<string, string> settings = s3.Settings("retention/");
        settings["Results:Retention"] = "00:00:02";
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1, settings: settings);
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{cluster.Silos[0].GrpcPort}");
        var jobs = new JobService.JobServiceClient(channel);
        using AmazonS3Client client = Client(s3);

        Job done = await RenderAsync(jobs, seed: 6);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(TimeSpan.FromSeconds(2), done.ExpiresAt.ToDateTime() - done.FinishedAt.ToDateTime());
        string key = $"retention/{ObjectName(done.JobId)}";
        Assert.NotNull(await GetAsync(client, key));

        StatusCode status = StatusCode.OK;
        for (int i = 0; i < 300 && status != StatusCode.NotFound; i++)
        {
            await Task.Delay(100);
            try
            {
                await jobs.GetJobAsync(new GetJobRequest { JobId = done.JobId }, deadline: ApiCalls.Deadline());
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }
        }
        Assert.Equal(StatusCode.NotFound, status); // the job's state went with it
        Assert.True(DateTime.UtcNow >= done.ExpiresAt.ToDateTime(), "deleted before it expired");
        Assert.Null(await GetAsync(client, key));
        Assert.False(File.Exists(done.OutputPath));
        ListJobsResponse listed = await jobs.ListJobsAsync(new ListJobsRequest(), deadline: ApiCalls.Deadline());
        Assert.DoesNotContain(listed.Jobs, j => j.JobId == done.JobId);
        Assert.Contains($"job {done.JobId} (Completed) expired at", cluster.Silos[0].Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_told_to_use_s3_without_a_bucket_stops_at_start_naming_the_setting()
    {
        string data = Directory.CreateTempSubdirectory("loom-results-bad-").FullName;
        try
        {
            await using SiloProcess silo = SiloProcess.Start(new Dictionary<string, string>
            {
                ["ModelDirectory"] = data, ["DataDirectory"] = data, ["OutputDirectory"] = data, ["Results:Store"] = "s3",
            });
            for (int i = 0; i < 600 && silo.IsRunning; i++)
            {
                await Task.Delay(100);
            }
            Assert.False(silo.IsRunning, "the silo kept running with Loom:Results:Store=s3 and no bucket");
            Assert.Contains("Loom:Results:S3:Bucket is required when Loom:Results:Store is s3.", silo.Log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static AmazonS3Client Client(S3Server s3) => new(new BasicAWSCredentials(S3Server.AccessKey, S3Server.AccessKey), new AmazonS3Config
    {
        ServiceURL = s3.ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>The object's bytes, or null if there is none.</summary>
    private static async Task<byte[]?> GetAsync(AmazonS3Client client, string key)
    {
        try
        {
            using GetObjectResponse response = await client.GetObjectAsync(S3Server.Bucket, key);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes);
            return bytes.ToArray();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The silo's object name for a job id (<c>FileGrainStorage.SafeName</c> + <c>.safetensors</c>), read from the silo's own rule.</summary>
    private static string ObjectName(string jobId) => Grains.Storage.FileGrainStorage.SafeName(jobId) + ".safetensors";

    private static async Task<Job> RenderAsync(JobService.JobServiceClient jobs, long seed)
    {
        Job submitted = await jobs.SubmitJobAsync(new SubmitJobRequest { Spec = new JobSpec(Spec) { Seed = seed } }, deadline: ApiCalls.Deadline());
        return await ApiCalls.WatchToEndAsync(jobs, submitted.JobId);
    }
}
