using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Grains.Tests;

/// <summary>One idempotency key is one job; a job id submitted twice with the same spec is one job.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class IdempotentSubmitTests(GrainCluster grains)
{
    [Fact]
    public async Task Concurrent_claims_of_one_key_bind_it_to_exactly_one_job()
    {
        IJobIndexGrain index = grains.Client.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);
        string key = $"alice/{Guid.NewGuid():N}";

        string[] bound = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => index.ClaimKeyAsync(key, $"claim-{i}")));

        string winner = Assert.Single(bound.Distinct());
        Assert.StartsWith("claim-", winner, StringComparison.Ordinal);
        Assert.Equal(winner, await index.FindByKeyAsync(key));
    }

    [Fact]
    public async Task The_same_submit_twice_is_one_job_and_a_different_spec_under_its_id_is_refused()
    {
        string id = $"twice-{Guid.NewGuid():N}";
        IRenderJobGrain job = grains.Client.GetGrain<IRenderJobGrain>(id);
        JobSpec spec = Specs.Tiny(seed: 7);

        JobStatus first = await job.SubmitAsync(spec, "k");
        JobStatus again = await job.SubmitAsync(spec, "k");

        Assert.Equal(first.SubmittedAt, again.SubmittedAt);
        var underKey = await Assert.ThrowsAsync<InvalidJobSpecException>(() => job.SubmitAsync(spec with { Seed = 8 }, "k"));
        var underId = await Assert.ThrowsAsync<InvalidJobSpecException>(() => job.SubmitAsync(spec with { Seed = 8 }, null));
        Assert.Equal("idempotency_key", underKey.Field);
        Assert.Equal("job_id", underId.Field);
        await grains.WaitFinalAsync(id);
    }
}
