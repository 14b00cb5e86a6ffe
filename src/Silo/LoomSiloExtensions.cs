using System.Net;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Microsoft.Extensions.Configuration;
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
        IConfigurationSection section = builder.Configuration.GetSection("Loom");
        var host = section.Get<LoomHostOptions>() ?? new LoomHostOptions();
        builder.Services.Configure<LoomOptions>(section);
        builder.Services.Configure<LoomHostOptions>(section);
        var loom = section.Get<LoomOptions>() ?? new LoomOptions();

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = host.ClusterId;
                o.ServiceId = host.ServiceId;
            });
            TimeSpan callTimeout = loom.EvaluationTimeout + TimeSpan.FromSeconds(30);
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = callTimeout > o.ResponseTimeout ? callTimeout : o.ResponseTimeout);
            if (host.FastFailureDetection)
            {
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                });
            }
            if (string.IsNullOrWhiteSpace(host.Redis))
            {
                IPEndPoint? primary = host.PrimarySiloPort > 0 ? new IPEndPoint(IPAddress.Loopback, host.PrimarySiloPort) : null;
                silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort, primary, host.ServiceId, host.ClusterId);
                string data = Path.GetFullPath(host.DataDirectory);
                silo.Services.AddGrainStorage("jobs", (sp, _) => new FileGrainStorage(Path.Combine(data, "state"), sp.GetRequiredService<IGrainStorageSerializer>(), sp.GetRequiredService<StorageHealth>()));
                silo.Services.AddSingleton<ILatentStore>(sp => new FileLatentStore(Path.Combine(data, "latents"), sp.GetRequiredService<StorageHealth>()));
            }
            else
            {
                ConfigurationOptions redis = ConfigurationOptions.Parse(host.Redis);
                redis.AbortOnConnectFail = false;
                silo.ConfigureEndpoints(IPAddress.Parse(host.AdvertisedIp), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: host.AdvertisedIp != "127.0.0.1");
                silo.UseRedisClustering(o => o.ConfigurationOptions = redis.Clone());
                silo.AddRedisGrainStorage("jobs", o => o.ConfigurationOptions = redis.Clone());
                silo.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis.Clone()));
                silo.Services.AddSingleton<ILatentStore>(sp => new RedisLatentStore(sp.GetRequiredService<IConnectionMultiplexer>(), $"loom:{host.ServiceId}:"));
            }
            silo.Services.AddPlacementDirector<ShardPlacement, ShardPlacementDirector>();
            silo.Services.AddPlacementDirector<JobPlacement, JobPlacementDirector>();
        });

        // The drain runs while the host stops: give it its whole timeout, plus time to leave the cluster afterwards.
        builder.Services.Configure<HostOptions>(o =>
        {
            TimeSpan needed = host.DrainTimeout + TimeSpan.FromSeconds(20);
            o.ShutdownTimeout = needed > o.ShutdownTimeout ? needed : o.ShutdownTimeout;
        });
        builder.Services.AddSingleton(_ => new LoomMetrics(Metrics.DefaultRegistry));
        builder.Services.AddSingleton<LocalJobs>();
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<WanJobModels>();
        builder.Services.AddSingleton<ShardHost>();
        builder.Services.AddSingleton<ShardRouter>();
        builder.Services.AddSingleton<SiloReadiness>();
        builder.Services.AddLoomResults(builder.Configuration, host);
        builder.Services.AddHostedService<SiloHeartbeat>();
        // After UseOrleans: its StoppingAsync drains before Orleans, the heartbeat or the endpoints stop.
        builder.Services.AddHostedService<SiloDrain>();
        return builder;
    }
}
