using Loom.Silo.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>
/// A Loom silo as an ASP.NET Core application: Orleans (shards, jobs, queue) and the loom.v1 gRPC API in one process.
/// <c>loom-silo</c> runs one; the <c>loom</c> CLI boots one in-process for embedded mode:
/// <code>
/// WebApplication silo = LoomSiloHost.Build(["--Loom:GrpcPort=0", "--Loom:DataDirectory=/tmp/loom", ...]);
/// await silo.StartAsync(cancellationToken);
/// Uri api = LoomSiloHost.GrpcAddress(silo);   // http://127.0.0.1:&lt;port&gt;
/// ...
/// await silo.StopAsync(cancellationToken); await silo.DisposeAsync();
/// </code>
/// Settings are configuration keys (appsettings.json in the program's folder, wherever it is started from, <c>LOOM__*</c> environment variables,
/// <c>--Loom:Key=value</c> arguments): <c>Loom:GrpcPort</c> (default 7070; 0 picks a free port), <c>Loom:ApiKeys:0</c>,
/// <c>Loom:ApiKeys:1</c>, ... and everything <see cref="LoomHostOptions"/>, <see cref="LoomApiOptions"/>, <see cref="LoomTlsOptions"/>, <see cref="Grains.LoomJobOptions"/>, <see cref="Grains.LoomEvaluationOptions"/>, <see cref="Grains.LoomShardOptions"/> and <see cref="Grains.LoomCatalogOptions"/> list
/// (each bound once and validated at start: a bad value throws <see cref="OptionsValidationException"/> naming the setting).
/// </summary>
public static partial class LoomSiloHost
{
    /// <summary>The builder with the silo and the API added, for a caller that wants to change more (logging, say) before building.</summary>
    /// <param name="args">Command-line settings.</param>
    /// <param name="contentRoot">Where appsettings.json is read from: default the program's own folder (not the working directory).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, string? contentRoot = null)
    {
        Grains.Shards.NativeHeap.Configure();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot ?? AppContext.BaseDirectory });
        builder.AddLoomSilo();
        builder.AddLoomApi();
        builder.AddLoomMetrics();
        return builder;
    }

    /// <summary>A silo ready to start: <see cref="CreateBuilder"/>, then <paramref name="configure"/>, then the endpoints mapped.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        WebApplicationBuilder builder = CreateBuilder(args, contentRoot);
        configure?.Invoke(builder);
        WebApplication app = builder.Build();
        // Every setting checked now, all failures together, before any service reads one (ValidateOnStart's own pass
        // would come only at StartAsync).
        app.Services.GetService<IStartupValidator>()?.Validate();
        app.MapLoomEndpoints();
        app.MapLoomMetrics();
        LoomApiOptions options = app.Services.GetRequiredService<IOptions<LoomApiOptions>>().Value;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            LogListening(app.Logger, GrpcAddress(app).ToString(), options.ApiKeys.Count(k => !string.IsNullOrEmpty(k.Key)));
            if (!options.Keyed)
            {
                LogNoKeys(app.Logger);
            }
            if (Grains.Shards.NativeHeap.Configure() is { Count: > 0 } heap)
            {
                LogNativeHeap(app.Logger, string.Join(", ", heap));
            }
            foreach (Grains.Shards.ShardWorker shard in app.Services.GetRequiredService<Grains.Shards.ShardHost>().Workers)
            {
                Contracts.Shards.ShardInfo info = shard.Info("");
                LogShard(app.Logger, shard.Device, shard.DeviceName, info.MemoryFreeBytes / 1073741824.0, info.MemoryTotalBytes / 1073741824.0);
            }
            if (app.Services.GetRequiredService<IOptions<Grains.LoomShardOptions>>().Value.SimulatedForward is { } simulated && simulated > TimeSpan.Zero)
            {
                LogSimulated(app.Logger, simulated.TotalMilliseconds);
            }
        });
        return app;
    }

    /// <summary>The loopback address of the started silo's gRPC API (the port actually bound, also when <c>Loom:GrpcPort</c> is 0; https with TLS).</summary>
    /// <exception cref="InvalidOperationException">The silo has not started.</exception>
    public static Uri GrpcAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        string bound = app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("the silo has not started: no gRPC address is bound yet.");
        var uri = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal));
        return new Uri($"{uri.Scheme}://127.0.0.1:{uri.Port}"); // https with Loom:Tls
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC API (loom.v1) on {Address}, {Keys} API keys")]
    private static partial void LogListening(ILogger logger, string address, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "no API keys configured (Loom:ApiKeys): the gRPC API listens on loopback only and takes calls without a key")]
    private static partial void LogNoKeys(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "native heap for tensors: {Settings} (NativeHeap; set the variable to choose another value)")]
    private static partial void LogNativeHeap(ILogger logger, string settings);

    [LoggerMessage(Level = LogLevel.Information, Message = "shard {Device}: {DeviceName}, {FreeGiB:0.0} GiB free of {TotalGiB:0.0} GiB")]
    private static partial void LogShard(ILogger logger, string device, string deviceName, double freeGiB, double totalGiB);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SIMULATED shards (Loom:SimulatedForward {Milliseconds} ms): no model runs and the videos are meaningless; for benchmarks only")]
    private static partial void LogSimulated(ILogger logger, double milliseconds);
}
