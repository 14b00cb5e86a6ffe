using Grpc.Core;
using Grpc.Health.V1;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>With API keys configured, every call but health needs one of them in <c>x-api-key</c>.</summary>
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
}
