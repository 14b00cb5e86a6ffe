using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>Idempotency keys: the same key twice is one job; the same key with another spec is refused.</summary>
[Collection(SiloCollection.Name)]
public sealed class IdempotencyTests(SiloFixture silo)
{
    [Fact]
    public async Task The_same_key_twice_is_one_job()
    {
        string key = $"e2e-{Guid.NewGuid():N}";
        int before = await Requests.CountAsync(silo.Jobs);

        Job first = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 21) }, SiloFixture.Deadline());
        Job second = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 21) }, SiloFixture.Deadline());

        Assert.Equal(first.JobId, second.JobId);
        Assert.Equal(key, second.IdempotencyKey);
        Assert.Equal(first.SubmittedAt, second.SubmittedAt);
        Assert.Equal(before + 1, await Requests.CountAsync(silo.Jobs));
        await Requests.WatchAllAsync(silo.Jobs, first.JobId);
    }

    [Fact]
    public async Task The_same_key_with_another_spec_is_refused_and_the_first_job_stays()
    {
        string key = $"e2e-{Guid.NewGuid():N}";
        Job first = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 22) }, SiloFixture.Deadline());
        int before = await Requests.CountAsync(silo.Jobs);

        RpcException otherSpec = await Requests.FailsAsync(() =>
            silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 23) }, SiloFixture.Deadline()).ResponseAsync);
        RpcException otherId = await Requests.FailsAsync(() =>
            silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, JobId = $"other-{Guid.NewGuid():N}", Spec = Requests.Small(seed: 22) }, SiloFixture.Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, otherSpec.StatusCode);
        Assert.Equal("idempotency_key", otherSpec.Trailers.GetValue("loom-field"));
        Assert.Equal(StatusCode.InvalidArgument, otherId.StatusCode);
        Assert.Equal("idempotency_key", otherId.Trailers.GetValue("loom-field"));
        Assert.Equal(before, await Requests.CountAsync(silo.Jobs));
        Job kept = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = first.JobId }, SiloFixture.Deadline());
        Assert.Equal(22, kept.Spec.Seed);
        await Requests.WatchAllAsync(silo.Jobs, first.JobId);
    }

    [Fact]
    public async Task A_key_with_a_job_id_is_kept_and_finds_that_job_again()
    {
        string key = $"e2e-{Guid.NewGuid():N}", jobId = $"named-{Guid.NewGuid():N}";
        Job first = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, JobId = jobId, Spec = Requests.Small(seed: 24) }, SiloFixture.Deadline());
        Job again = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 24) }, SiloFixture.Deadline());

        Assert.Equal(jobId, first.JobId);
        Assert.Equal(jobId, again.JobId);
        await Requests.WatchAllAsync(silo.Jobs, jobId);
    }
}
