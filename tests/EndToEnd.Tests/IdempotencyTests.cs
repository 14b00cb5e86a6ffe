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

    [Fact]
    public async Task Concurrent_submits_under_one_key_with_different_job_ids_create_exactly_one_job()
    {
        for (int round = 0; round < 4; round++)
        {
            string key = $"race-{Guid.NewGuid():N}";
            int before = await Requests.CountAsync(silo.Jobs);

            Task<Job>[] submits = Enumerable.Range(0, 8)
                .Select(i => silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, JobId = $"race-{round}-{i}-{Guid.NewGuid():N}", Spec = Requests.Small(seed: 25) }, SiloFixture.Deadline()).ResponseAsync)
                .ToArray();
            await Task.WhenAll(submits.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

            Job[] accepted = submits.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToArray();
            Assert.NotEmpty(accepted);
            Assert.Single(accepted.Select(j => j.JobId).Distinct());
            Assert.All(submits.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException), e =>
            {
                RpcException refused = Assert.IsType<RpcException>(e);
                Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
                Assert.Equal("idempotency_key", refused.Trailers.GetValue("loom-field"));
            });
            Assert.Equal(before + 1, await Requests.CountAsync(silo.Jobs));
            await Requests.WatchAllAsync(silo.Jobs, accepted[0].JobId);
        }
    }

    [Fact]
    public async Task Concurrent_submits_under_one_key_without_job_ids_are_all_the_same_job()
    {
        string key = $"race-{Guid.NewGuid():N}";
        int before = await Requests.CountAsync(silo.Jobs);

        Job[] jobs = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 26) }, SiloFixture.Deadline()).ResponseAsync));

        Assert.Single(jobs.Select(j => j.JobId).Distinct());
        Assert.Equal(before + 1, await Requests.CountAsync(silo.Jobs));
        await Requests.WatchAllAsync(silo.Jobs, jobs[0].JobId);
    }

    [Fact]
    public async Task A_job_id_that_looks_derived_from_a_key_cannot_take_that_key()
    {
        string key = $"squat-{Guid.NewGuid():N}";
        string derived = "key-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..40];

        RpcException squat = await Requests.FailsAsync(() =>
            silo.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = derived, Spec = Requests.Small(seed: 27) }, SiloFixture.Deadline()).ResponseAsync);
        Job owner = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { IdempotencyKey = key, Spec = Requests.Small(seed: 28) }, SiloFixture.Deadline());

        Assert.Equal("job_id", squat.Trailers.GetValue("loom-field"));
        Assert.Equal(derived, owner.JobId);
        Assert.Equal(28, owner.Spec.Seed);
        await Requests.WatchAllAsync(silo.Jobs, owner.JobId);
    }
}
