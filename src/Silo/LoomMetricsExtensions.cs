using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Loom.Silo;

/// <summary>
/// <c>/metrics</c> for Prometheus on <c>Loom:MetricsPort</c>: the <c>loom_*</c> metrics (<see cref="LoomMetrics"/>),
/// and what prometheus-net exports by default from the same registry: the process and .NET runtime, and every
/// System.Diagnostics.Metrics meter, Orleans' (<c>Microsoft.Orleans</c>) and Polly's (<c>Polly</c>) among them.
/// </summary>
public static class LoomMetricsExtensions
{
    /// <summary>Listens on <c>Loom:MetricsPort</c> (all interfaces, HTTP/1.1) unless it or <c>Loom:GrpcPort</c> is 0.</summary>
    public static WebApplicationBuilder AddLoomMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddLoomOptions();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<LoomApiOptions>>((kestrel, api) =>
        {
            if (api.Value.ServedMetricsPort > 0)
            {
                kestrel.ListenAnyIP(api.Value.ServedMetricsPort, o => o.Protocols = HttpProtocols.Http1);
            }
        });
        return builder;
    }

    /// <summary>
    /// Maps <c>GET /metrics</c>, <c>/healthz/ready</c> and <c>/healthz/live</c> on the metrics port only, and points the gauges at
    /// this silo's jobs, shards and router.
    /// </summary>
    public static WebApplication MapLoomMetrics(this WebApplication app)
    {
        IServiceProvider services = app.Services;
        services.GetRequiredService<LoomMetrics>().Track(
            services.GetRequiredService<ShardHost>(), services.GetRequiredService<ShardRouter>(), services.GetRequiredService<LocalJobs>());
        int port = services.GetRequiredService<IOptions<LoomApiOptions>>().Value.ServedMetricsPort;
        if (port > 0)
        {
            app.MapMetrics().RequireHost($"*:{port}");
            // The gRPC health services' two checks over plain HTTP too, for probes that cannot speak gRPC over TLS
            // (kubelet's gRPC probe has no TLS): 200 when healthy, 503 when not.
            app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains("ready") }).RequireHost($"*:{port}");
            app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") }).RequireHost($"*:{port}");
            // prometheus-net starts its MeterAdapter at the registry's first collection: collect once now, so that
            // Orleans' and Polly's measurements count from the start, not from the first scrape.
            Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();
        }
        return app;
    }
}
