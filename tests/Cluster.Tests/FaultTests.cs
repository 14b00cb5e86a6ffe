using Loom.Contracts.Jobs;
namespace Loom.Cluster.Tests;

/// <summary>Nodes die mid-job (SIGKILL of real silo processes); the job still completes with the same bits.</summary>
public sealed class FaultTests
{
    private static JobSpec LongJob(long seed) => Specs.SixWindows(seed, steps: 30) with { Plan = "1-10:1" };

    /// <summary>
    /// A 3-silo cluster with a long job that has finished 3 steps and is still running (and, with
    /// <paramref name="remoteShards"/>, has had windows evaluated on another silo's shard: its router prefers its own).
    /// </summary>
    private static async Task<(LoomTestCluster Cluster, JobSpec Spec, JobStatus Running)> RunningJobAsync(string jobId, long seed, bool remoteShards = false)
    {
        LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3);
        try
        {
            JobSpec spec = LongJob(seed);
            await cluster.SubmitAsync(jobId, spec);
            JobStatus running = await cluster.WaitAsync(jobId, s => s.IsFinal || (s.StepsDone >= 3 && (!remoteShards || s.Shards.Any(shard => !shard.StartsWith(s.Host + "/", StringComparison.Ordinal)))));
            Assert.False(running.IsFinal, "the job must still be running when a silo dies");
            return (cluster, spec, running);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Killing_the_silo_that_runs_the_job_grain_resumes_the_job_elsewhere_with_the_same_video()
    {
        var (cluster, spec, running) = await RunningJobAsync("kill-job-host", 31);
        await using LoomTestCluster _ = cluster;
        string killedHost = running.Host;

        await cluster.SiloOf(killedHost).KillAsync();
        JobStatus done = await cluster.WaitFinalAsync("kill-job-host");

        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.NotEqual(killedHost, done.Host);
        Assert.True(done.Resumes >= 1, "the loop must have been resumed from a checkpoint");
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }

    [Fact]
    public async Task Killing_a_silo_whose_shards_are_in_use_retries_elsewhere_with_the_same_video()
    {
        var (cluster, spec, running) = await RunningJobAsync("kill-shards", 32, remoteShards: true);
        await using LoomTestCluster _ = cluster;
        string victim = running.Shards.Select(s => s[..s.LastIndexOf('/')]).First(silo => silo != running.Host);

        await cluster.SiloOf(victim).KillAsync();
        JobStatus done = await cluster.WaitFinalAsync("kill-shards");

        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.Equal(running.Host, done.Host);
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
        var after = await cluster.WaitForShardsAsync(4);
        Assert.DoesNotContain(after, s => s.Silo == victim);
    }
}
