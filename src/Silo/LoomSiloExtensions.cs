using System.Net;
using Loom.Grains;
using Loom.Grains.Configuration;
using Loom.Grains.Jobs;
using Loom.Grains.Resilience;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Prometheus;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>The silo's wiring: Orleans, storage, shards, routing and the heartbeat.</summary>
public static class LoomSiloExtensions
{
    /// <summary>Adds a Loom silo configured from the <c>Loom</c> section (embedded mode unless <c>Loom:Redis</c> is set).</summary>
    public static IHostApplicationBuilder AddLoomSilo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddLoomOptions();
        // The one setting read while composing: it decides which services exist (files or Redis). Every other value is
        // read from the options bound once, when the service that needs it is built.
        bool cluster = !string.IsNullOrWhiteSpace(builder.Configuration["Loom:Redis"]);

        builder.UseOrleans(silo =>
        {
            silo.Services.AddOptions<ClusterOptions>().Configure<IOptions<LoomHostOptions>>((o, host) =>
            {
                o.ClusterId = host.Value.ClusterId;
                o.ServiceId = host.Value.ServiceId;
            });
            silo.Services.AddOptions<SiloMessagingOptions>().Configure<IOptions<LoomEvaluationOptions>>((o, loom) =>
            {
                TimeSpan callTimeout = loom.Value.EvaluationTimeout + TimeSpan.FromSeconds(30);
                o.ResponseTimeout = callTimeout > o.ResponseTimeout ? callTimeout : o.ResponseTimeout;
            });
            // The strongly consistent grain directory: when a silo dies, the directory ranges it held are rebuilt from the
            // survivors before lookups resume, so a running job is not activated a second time elsewhere (the default
            // directory forgets those entries, and a status call placed the job anew: a needless resume, a lost step).
            // Its range lease, which holds a dead silo's grains for 30 s less the failure-detection time in case that
            // silo still runs, is off: a job's writes are fenced by its epoch and ETag (a stale loop is refused and
            // stops), so a job whose silo died resumes as soon as the death is declared instead of ~25 s later.
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; FaultTests and WanFaultTests kill silos under it
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.Services.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
            silo.Services.AddOptions<ClusterMembershipOptions>().Configure<IOptions<LoomHostOptions>>((o, host) =>
            {
                if (host.Value.FastFailureDetection)
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                }
            });
            if (!cluster)
            {
                // Localhost clustering: this silo, or the first one (PrimarySiloPort), holds the membership.
                silo.Services.AddOptions<EndpointOptions>().Configure<IOptions<LoomHostOptions>>((o, host) =>
                {
                    o.AdvertisedIPAddress = IPAddress.Loopback;
                    o.SiloPort = host.Value.SiloPort;
                    o.GatewayPort = host.Value.GatewayPort;
                });
                silo.UseDevelopmentClustering(o => o.Configure<IOptions<LoomHostOptions>>((d, host) =>
                    d.PrimarySiloEndpoint = new IPEndPoint(IPAddress.Loopback, host.Value.PrimarySiloPort > 0 ? host.Value.PrimarySiloPort : host.Value.SiloPort)));
                silo.Services.AddGrainStorage("jobs", (sp, _) => new FileGrainStorage(Path.Combine(DataDirectory(sp), "state"), sp.GetRequiredService<IGrainStorageSerializer>(), sp.GetRequiredService<StorageHealth>()));
                silo.Services.AddSingleton<ILatentStore>(sp => new FileLatentStore(Path.Combine(DataDirectory(sp), "latents"), sp.GetRequiredService<StorageHealth>()));
                silo.Services.AddSingleton<IJobIndexStore>(sp => new FileJobIndexStore(Path.Combine(DataDirectory(sp), "index"), sp.GetRequiredService<StorageHealth>()));
            }
            else
            {
                silo.Services.AddOptions<EndpointOptions>().Configure<IOptions<LoomHostOptions>>((o, options) =>
                {
                    LoomHostOptions host = options.Value;
                    o.AdvertisedIPAddress = IPAddress.Parse(host.AdvertisedIp);
                    o.SiloPort = host.SiloPort;
                    o.GatewayPort = host.GatewayPort;
                    if (host.AdvertisedIp != "127.0.0.1")
                    {
                        o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, host.SiloPort);
                        o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, host.GatewayPort);
                    }
                });
                silo.UseRedisClustering(_ => { });
                silo.Services.AddOptions<Orleans.Clustering.Redis.RedisClusteringOptions>().Configure<IOptions<LoomHostOptions>>((o, host) => o.ConfigurationOptions = Redis(host.Value));
                silo.AddRedisGrainStorage("jobs", o => o.Configure<IOptions<LoomHostOptions>>((r, host) => r.ConfigurationOptions = Redis(host.Value)));
                silo.Services.AddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(Redis(sp.GetRequiredService<IOptions<LoomHostOptions>>().Value)));
                silo.Services.AddSingleton<ILatentStore>(sp => new RedisLatentStore(sp.GetRequiredService<IConnectionMultiplexer>(), KeyPrefix(sp)));
                silo.Services.AddSingleton<IJobIndexStore>(sp => new RedisJobIndexStore(sp.GetRequiredService<IConnectionMultiplexer>(), KeyPrefix(sp)));
            }
        });

        // The drain runs while the host stops: give it its whole timeout, plus time to leave the cluster afterwards.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<LoomHostOptions>>((o, host) =>
        {
            TimeSpan needed = host.Value.DrainTimeout + TimeSpan.FromSeconds(20);
            o.ShutdownTimeout = needed > o.ShutdownTimeout ? needed : o.ShutdownTimeout;
        });
        builder.Services.AddLoomGrains();
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddLoomResults(builder.Configuration, cluster);
        builder.Services.AddHostedService<SiloHeartbeat>();
        // After UseOrleans: its StoppingAsync drains before Orleans, the heartbeat or the endpoints stop.
        builder.Services.AddHostedService<SiloDrain>();
        return builder;
    }

    /// <summary>
    /// Binds each options type of the silo once (<see cref="LoomJobOptions"/>, <see cref="LoomEvaluationOptions"/>,
    /// <see cref="LoomShardOptions"/>, <see cref="LoomCatalogOptions"/>, <see cref="LoomHostOptions"/> and
    /// <see cref="LoomApiOptions"/> from <c>Loom</c>, <see cref="LoomTlsOptions"/> from <c>Loom:Tls</c>) and validates it
    /// at start (the grains' options' validators come with <see cref="LoomGrainsExtensions.AddLoomGrains"/>): a bad
    /// setting stops the silo with the setting's name and its allowed range.
    /// </summary>
    public static IServiceCollection AddLoomOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<LoomHostOptions>)))
        {
            return services;
        }
        services.AddOptions<LoomJobOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomEvaluationOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomShardOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomCatalogOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomHostOptions>().BindConfiguration("Loom").ValidateOnStart();
        services.AddOptions<LoomApiOptions>().BindConfiguration("Loom").ValidateOnStart();
        services.AddOptions<LoomTlsOptions>().BindConfiguration("Loom:Tls").ValidateOnStart();
        services.AddSingleton<IValidateOptions<LoomHostOptions>, LoomHostOptionsValidator>();
        services.AddSingleton<IValidateOptions<LoomApiOptions>, LoomApiOptionsValidator>();
        services.AddSingleton<IValidateOptions<LoomTlsOptions>, LoomTlsOptionsValidator>();
        return services;
    }

    private static string DataDirectory(IServiceProvider services) => Path.GetFullPath(services.GetRequiredService<IOptions<LoomHostOptions>>().Value.DataDirectory);

    private static string KeyPrefix(IServiceProvider services) => $"loom:{services.GetRequiredService<IOptions<LoomHostOptions>>().Value.ServiceId}:";

    private static ConfigurationOptions Redis(LoomHostOptions host)
    {
        ConfigurationOptions redis = ConfigurationOptions.Parse(host.Redis);
        redis.AbortOnConnectFail = false;
        return redis;
    }
}
