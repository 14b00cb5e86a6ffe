using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
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
        int port = MetricsPort(builder.Configuration.GetSection("Loom").Get<LoomHostOptions>() ?? new LoomHostOptions());
        if (port > 0)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(port, o => o.Protocols = HttpProtocols.Http1));
        }
        return builder;
    }

    /// <summary>Maps <c>GET /metrics</c> on the metrics port only, and points the gauges at this silo's jobs, shards and router.</summary>
    public static WebApplication MapLoomMetrics(this WebApplication app)
    {
        IServiceProvider services = app.Services;
        services.GetRequiredService<LoomMetrics>().Track(
            services.GetRequiredService<ShardHost>(), services.GetRequiredService<ShardRouter>(), services.GetRequiredService<LocalJobs>());
        int port = MetricsPort(services.GetRequiredService<IOptions<LoomHostOptions>>().Value);
        if (port > 0)
        {
            app.MapMetrics().RequireHost($"*:{port}");
            // prometheus-net starts its MeterAdapter at the registry's first collection: collect once now, so that
            // Orleans' and Polly's measurements count from the start, not from the first scrape.
            Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();
        }
        return app;
    }

    private static int MetricsPort(LoomHostOptions options) => options.GrpcPort == 0 ? 0 : Math.Max(0, options.MetricsPort);
}
