using Loom.Grains.Jobs;

namespace Loom.Cluster.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class DistributedSamplingTests(SharedCluster shared)
{
    private LoomTestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task A_six_window_job_spreads_over_several_shards_and_matches_the_in_process_sampler_bit_for_bit()
    {
        JobSpec spec = Specs.SixWindows(seed: 7);
        Assert.Equal(6, JobSpecValidator.Windows(spec).Windows.Count);

        await Cluster.SubmitAsync("six-windows", spec);
        JobStatus done = await Cluster.WaitFinalAsync("six-windows");

        Assert.Equal(JobPhase.Completed, done.Phase);
        Assert.True(done.Shards.Count >= 3, $"used shards: {string.Join(", ", done.Shards)}");
        Assert.True(done.Shards.Select(s => s[..s.LastIndexOf('/')]).Distinct().Count() >= 2, "windows should land on more than one silo");
        Assert.Equal(await Cluster.ReferenceHashAsync(spec), done.LatentSha256);
        Assert.True(File.Exists(done.OutputPath), done.OutputPath);
        // 6 steps of 6 windows, plus one refinement iteration on steps 1-3 (some windows may be skipped as certain).
        Assert.Equal(6 * 6 + 3 * 6, done.Evaluations + done.SkippedEvaluations);
    }

    [Fact]
    public async Task Submitting_the_same_job_twice_is_one_job_and_a_different_spec_under_its_id_is_refused()
    {
        JobSpec spec = Specs.Small(seed: 3);
        await Cluster.SubmitAsync("twice", spec);
        await Cluster.SubmitAsync("twice", spec);
        JobStatus done = await Cluster.WaitFinalAsync("twice");
        Assert.Equal(JobPhase.Completed, done.Phase);
        Assert.Equal(0, done.Resumes);

        var refused = await Assert.ThrowsAsync<InvalidJobSpecException>(() => Cluster.SubmitAsync("twice", spec with { Seed = 4 }));
        Assert.Equal("job_id", refused.Field);
    }
}
