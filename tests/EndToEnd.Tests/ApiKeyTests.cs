using Grpc.Core;
using Grpc.Health.V1;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// With API keys configured, every call but health needs one of them in <c>x-api-key</c>; a submitter key sees only the
/// jobs it submitted (another's is NOT_FOUND, as a job that does not exist), an admin key sees all.
/// </summary>
public sealed class ApiKeyTests(KeyedSiloFixture silo) : IClassFixture<KeyedSiloFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("e2e-key-three")]
    [InlineData("E2E-KEY-ONE")]
    public async Task Calls_without_a_known_key_are_unauthenticated(string? key)
    {
        var jobs = new JobService.JobServiceClient(silo.Invoker(key));
        var cluster = new ClusterService.ClusterServiceClient(silo.Invoker(key));
        int before = await Requests.CountAsync(silo.Jobs);

        RpcException[] refused =
        [
            await Requests.FailsAsync(() => cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), SiloFixture.Deadline()).ResponseAsync),
            await Requests.FailsAsync(() => jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 61) }, SiloFixture.Deadline()).ResponseAsync),
            await Requests.FailsAsync(() => jobs.ListJobsAsync(new ListJobsRequest(), SiloFixture.Deadline()).ResponseAsync),
            await Requests.FailsAsync(() => Requests.WatchAllAsync(jobs, "any-job", seconds: 10)),
        ];

        Assert.All(refused, e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Equal(before, await Requests.CountAsync(silo.Jobs));
    }

    [Fact]
    public async Task Every_configured_key_works_and_health_needs_none()
    {
        HealthCheckResponse health = await silo.Health.CheckAsync(new HealthCheckRequest(), SiloFixture.Deadline());
        ClusterStatus[] statuses = await Task.WhenAll(KeyedSiloFixture.Keys.Select(async k =>
            await new ClusterService.ClusterServiceClient(silo.Invoker(k)).GetClusterStatusAsync(new GetClusterStatusRequest(), SiloFixture.Deadline())));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.All(statuses, s => Assert.Equal(2, s.Shards.Count));
    }

    [Fact]
    public async Task A_submitter_sees_lists_watches_cancels_and_downloads_only_its_own_jobs()
    {
        JobService.JobServiceClient alice = Submitter("alice"), bob = Submitter("bob"), admin = silo.Jobs;
        Job mine = await alice.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 62) }, SiloFixture.Deadline());
        Job theirs = await bob.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 63) }, SiloFixture.Deadline());
        Job running = await bob.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Long(seed: 64) }, SiloFixture.Deadline());
        await Requests.WatchAllAsync(alice, mine.JobId);
        await Requests.WatchAllAsync(bob, theirs.JobId);

        // Every call alice makes on bob's jobs is refused exactly as one on a job that does not exist.
        const string absent = "no-such-job-62";
        foreach (string id in new[] { theirs.JobId, running.JobId, absent })
        {
            RpcException[] refused =
            [
                await Requests.FailsAsync(() => alice.GetJobAsync(new GetJobRequest { JobId = id }, SiloFixture.Deadline()).ResponseAsync),
                await Requests.FailsAsync(() => alice.CancelJobAsync(new CancelJobRequest { JobId = id, Reason = "not mine" }, SiloFixture.Deadline()).ResponseAsync),
                await Requests.FailsAsync(() => Requests.WatchAllAsync(alice, id, seconds: 10)),
                await Requests.FailsAsync(() => Requests.DownloadAsync(alice, id)),
            ];
            Assert.All(refused, e => Assert.Equal((StatusCode.NotFound, $"job '{id}' does not exist."), (e.StatusCode, e.Status.Detail)));
        }
        ListJobsResponse alices = await alice.ListJobsAsync(new ListJobsRequest { PageSize = 1000 }, SiloFixture.Deadline());
        ListJobsResponse bobs = await bob.ListJobsAsync(new ListJobsRequest { PageSize = 1000 }, SiloFixture.Deadline());
        ListJobsResponse all = await admin.ListJobsAsync(new ListJobsRequest { PageSize = 1000 }, SiloFixture.Deadline());
        Job bobsRunning = await admin.GetJobAsync(new GetJobRequest { JobId = running.JobId }, SiloFixture.Deadline());
        byte[] result = await Requests.DownloadAsync(alice, mine.JobId);
        byte[] byAdmin = await Requests.DownloadAsync(admin, theirs.JobId);
        Job cancelled = await bob.CancelJobAsync(new CancelJobRequest { JobId = running.JobId, Reason = "done" }, SiloFixture.Deadline());

        Assert.Equal([mine.JobId], alices.Jobs.Select(j => j.JobId));
        Assert.Equal(1, alices.Total);
        Assert.Equal([running.JobId, theirs.JobId], bobs.Jobs.Select(j => j.JobId));
        Assert.Equal(2, bobs.Total);
        Assert.Subset(all.Jobs.Select(j => j.JobId).ToHashSet(), new HashSet<string> { mine.JobId, theirs.JobId, running.JobId });
        Assert.NotEqual(JobState.Cancelled, bobsRunning.State); // alice's cancel did not reach it
        Assert.NotEmpty(result);
        Assert.NotEmpty(byAdmin);
        Assert.Equal(JobState.Cancelled, cancelled.State);
    }

    [Fact]
    public async Task Idempotency_keys_are_each_submitters_own()
    {
        JobService.JobServiceClient alice = Submitter("carol"), bob = Submitter("dave");
        var key = new SubmitJobRequest { Spec = Requests.Small(seed: 65), IdempotencyKey = "nightly-65" };

        Job first = await alice.SubmitJobAsync(key, SiloFixture.Deadline());
        Job again = await alice.SubmitJobAsync(key, SiloFixture.Deadline());
        Job other = await bob.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 66), IdempotencyKey = "nightly-65" }, SiloFixture.Deadline());

        Assert.Equal(first.JobId, again.JobId);
        Assert.NotEqual(first.JobId, other.JobId);
        RpcException hidden = await Requests.FailsAsync(() => bob.GetJobAsync(new GetJobRequest { JobId = first.JobId }, SiloFixture.Deadline()).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, hidden.StatusCode);
        await Requests.WatchAllAsync(alice, first.JobId);
        await Requests.WatchAllAsync(bob, other.JobId);
    }

    [Fact]
    public async Task A_submitter_choosing_a_job_id_learns_nothing_of_other_owners_jobs()
    {
        JobService.JobServiceClient erin = Submitter("erin"), admin = silo.Jobs;
        Job taken = await admin.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 67), JobId = "chosen-by-admin-67" }, SiloFixture.Deadline());

        // The same refusal whether the id holds another owner's job or nothing: no "already exists".
        RpcException[] refused =
        [
            await Requests.FailsAsync(() => erin.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 67), JobId = taken.JobId }, SiloFixture.Deadline()).ResponseAsync),
            await Requests.FailsAsync(() => erin.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 68), JobId = taken.JobId }, SiloFixture.Deadline()).ResponseAsync),
            await Requests.FailsAsync(() => erin.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 67), JobId = "free-id-67" }, SiloFixture.Deadline()).ResponseAsync),
        ];

        Assert.All(refused, e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.All(refused, e => Assert.Equal("job_id", e.Trailers.GetValue("loom-field")));
        Assert.Single(refused.Select(e => e.Status.Detail).Distinct());
        Assert.DoesNotContain("exists", refused[0].Status.Detail, StringComparison.Ordinal);
        // Its own name for a job is an idempotency key, its own whatever other owners use.
        Job named = await erin.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 67), IdempotencyKey = "chosen-by-admin-67" }, SiloFixture.Deadline());
        Assert.NotEqual(taken.JobId, named.JobId);
        await Requests.WatchAllAsync(erin, named.JobId);
    }

    private JobService.JobServiceClient Submitter(string owner) => new(silo.Invoker(KeyedSiloFixture.Submitters[owner]));
}
