using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>With <c>Loom:Tls</c> set, the API speaks only TLS: keys and jobs never travel in clear.</summary>
public sealed class TlsTests(TlsSiloFixture silo) : IClassFixture<TlsSiloFixture>
{
    [Fact]
    public async Task A_job_runs_over_TLS_with_the_configured_certificate()
    {
        Job submitted = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Small(seed: 67) }, SiloFixture.Deadline());
        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, submitted.JobId);
        byte[] result = await Requests.DownloadAsync(silo.Jobs, submitted.JobId);

        Assert.StartsWith("https://", silo.GrpcAddress, StringComparison.Ordinal);
        Assert.Equal(JobState.Completed, events[^1].Job.State);
        Assert.NotEmpty(result);
    }

    [Fact]
    public async Task Clear_text_and_an_untrusted_certificate_are_refused()
    {
        string port = silo.GrpcAddress[(silo.GrpcAddress.LastIndexOf(':') + 1)..];
        using var clear = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        using var untrusted = GrpcChannel.ForAddress(silo.GrpcAddress, new GrpcChannelOptions { HttpHandler = TlsSiloFixture.Trusting("0000") });

        RpcException plain = await Requests.FailsAsync(() => new Health.HealthClient(clear).CheckAsync(new HealthCheckRequest(), SiloFixture.Deadline(10)).ResponseAsync);
        RpcException wrong = await Requests.FailsAsync(() => new Health.HealthClient(untrusted).CheckAsync(new HealthCheckRequest(), SiloFixture.Deadline(10)).ResponseAsync);

        Assert.Contains(wrong.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Contains("SSL", $"{wrong.Status.Detail} {wrong.Status.DebugException}", StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(StatusCode.OK, plain.StatusCode);
    }
}
