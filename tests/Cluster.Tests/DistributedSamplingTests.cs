using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
namespace Loom.Cluster.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class DistributedSamplingTests(SharedCluster shared)
{
    private LoomTestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task A_six_window_job_spreads_over_shards_and_matches_the_in_process_sampler_bit_for_bit()
    {
        JobSpec spec = Specs.SixWindows(seed: 7);
        Assert.Equal(6, JobSpecValidator.Windows(spec).Windows.Count);

        await Cluster.SubmitAsync("six-windows", spec);
        JobStatus done = await Cluster.WaitFinalAsync("six-windows");

        Assert.Equal(JobPhase.Completed, done.Phase);
        // Spread over shards, not always over silos: with this tiny model a forward queued on one of the job's own silo's
        // shards can cost less than a call to another silo, and the router then keeps the windows home (ShardChoice:
        // this silo's cheapest while within 1.5x of the cheapest anywhere). A CI run saw all six on the two local shards.
        Assert.True(done.Shards.Count >= 2, $"used shards: {string.Join(", ", done.Shards)}");
        Assert.Equal(await Cluster.ReferenceHashAsync(spec), done.LatentSha256);
        Assert.True(File.Exists(done.OutputPath), done.OutputPath);
        // 6 steps of 6 windows, plus one refinement iteration on steps 1-3 (some windows may be skipped as certain).
        Assert.Equal(6 * 6 + 3 * 6, done.Evaluations + done.SkippedEvaluations);
    }

    [Fact]
    public async Task Half_precision_on_the_wire_halves_the_latent_bytes_and_still_gives_the_reference_bits()
    {
        JobSpec half = Specs.SixWindows(seed: 9);
        JobSpec full = half with { Wire = WirePrecision.Float32 };
        Assert.Equal(WirePrecision.Float16, half.Wire); // the default
        await Cluster.SubmitAsync("wire-fp16", half);
        await Cluster.SubmitAsync("wire-fp32", full);
        JobStatus h = await Cluster.WaitFinalAsync("wire-fp16"), f = await Cluster.WaitFinalAsync("wire-fp32");
        Assert.True(h.Phase == JobPhase.Completed && f.Phase == JobPhase.Completed, $"{h.Error} {f.Error}");

        // Each job equals the in-process sampler with the same rounding at the wire, and the two differ.
        Assert.Equal(await Cluster.ReferenceHashAsync(half), h.LatentSha256);
        Assert.Equal(await Cluster.ReferenceHashAsync(full), f.LatentSha256);
        Assert.NotEqual(h.LatentSha256, f.LatentSha256);

        // One call per window prediction; velocities come back at 2 bytes a value instead of 4.
        long windowValues = 3L * 6 * 32 * 32;
        Assert.Equal(h.Evaluations, h.Messages);
        Assert.Equal(f.Evaluations, f.Messages);
        Assert.Equal(h.Messages * windowValues * 2, h.BytesReceived);
        Assert.Equal(f.Messages * windowValues * 4, f.BytesReceived);
        // Sent: the latents in the same proportion, plus each window's given frames (fp32) once per shard that used it.
        long conditioning = 3L * 6 * 32 * 32 * 4;
        Assert.Equal(0, (h.BytesSent - h.Messages * windowValues * 2) % conditioning);
        Assert.Equal(0, (f.BytesSent - f.Messages * windowValues * 4) % conditioning);
        Assert.InRange(h.BytesSent - h.Messages * windowValues * 2, conditioning, conditioning * h.Shards.Count);
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
