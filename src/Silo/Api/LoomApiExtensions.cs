using System.Net;
using Loom.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Security.Cryptography.X509Certificates;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Loom.Silo.Api;

/// <summary>The public gRPC API's wiring: Kestrel (HTTP/2 cleartext), loom.v1 services, API keys, health and reflection.</summary>
public static class LoomApiExtensions
{
    /// <summary>The grpc.health.v1 service name of the liveness check (the default service "" is readiness).</summary>
    public const string LivenessService = "liveness";

    /// <summary>
    /// Listens on <c>Loom:GrpcPort</c> (all interfaces when <c>Loom:ApiKeys</c> lists keys, loopback only when it lists
    /// none) and takes messages large enough that an oversized conditioning payload (up to twice
    /// <c>Loom:Limits:MaxConditioningBytes</c>) still reaches the validator and is refused by field, not by the transport.
    /// </summary>
    public static WebApplicationBuilder AddLoomApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddLoomOptions();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<LoomApiOptions>, IOptions<LoomTlsOptions>, IOptions<LoomJobOptions>>((kestrel, apiOptions, tlsOptions, loom) =>
        {
            LoomApiOptions api = apiOptions.Value;
            X509Certificate2? certificate = tlsOptions.Value.Load();
            void Listen(ListenOptions o)
            {
                o.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    o.UseHttps(certificate);
                }
            }
            kestrel.Limits.MaxRequestBodySize = ReceiveLimit(loom.Value);
            if (api.Keyed)
            {
                kestrel.ListenAnyIP(api.GrpcPort, Listen);
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, api.GrpcPort, Listen);
            }
        });
        builder.Services.AddOptions<GrpcServiceOptions>().Configure<IOptions<LoomJobOptions>>((o, loom) => o.MaxReceiveMessageSize = ReceiveLimit(loom.Value));
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ApiKeyInterceptor>();
            o.Interceptors.Add<ApiErrorInterceptor>();
        });
        // Two grpc.health.v1 services: "" is readiness (NOT_SERVING while joining, draining or cut off from the
        // cluster), "liveness" only says the process answers, so a long drain or a Redis outage never gets the pod
        // restarted by its liveness probe.
        builder.Services.AddGrpcHealthChecks(o =>
            {
                o.Services.Map("", r => r.Tags.Contains("ready"));
                o.Services.Map(LivenessService, r => r.Tags.Contains("live"));
            })
            .AddCheck<SiloReadiness>("silo", tags: ["ready"])
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: ["live"]);
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton<JobSubmission>();
        return builder;
    }

    /// <summary>Maps loom.v1.JobService, loom.v1.ClusterService, grpc.health.v1 and server reflection.</summary>
    public static WebApplication MapLoomEndpoints(this WebApplication app)
    {
        app.MapGrpcService<JobApi>();
        app.MapGrpcService<ClusterApi>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }

    private static int ReceiveLimit(LoomJobOptions loom) => (int)Math.Min(int.MaxValue, 2L * loom.Limits.MaxConditioningBytes + (4 << 20));
}
