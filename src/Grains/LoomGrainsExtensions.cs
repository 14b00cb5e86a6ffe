using Loom.Grains.Configuration;
using Loom.Grains.Jobs;
using Loom.Grains.Resilience;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Prometheus;

namespace Loom.Grains;

/// <summary>What the grains need on every silo, whatever hosts it (the silo program, the in-process test cluster).</summary>
public static class LoomGrainsExtensions
{
    /// <summary>
    /// Adds the shards, the router, the resilience pipelines, the placement directors and the validation of
    /// <see cref="LoomOptions"/> (bound by the host). Storage (grain state, latents, results, the job index) is the host's
    /// choice. <see cref="LoomMetrics"/> goes to the default Prometheus registry unless the host registered its own.
    /// </summary>
    public static IServiceCollection AddLoomGrains(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoomOptions>, LoomOptionsValidator>());
        services.AddOptions<LoomOptions>().ValidateOnStart();
        services.AddLoomResilience();
        services.AddSingleton(sp => new ShardLatencies(sp.GetRequiredService<IOptions<LoomOptions>>().Value));
        services.TryAddSingleton(_ => new LoomMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<LocalJobs>();
        services.AddSingleton<StorageHealth>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<WanJobModels>();
        services.AddSingleton<WanShardDecode>();
        services.AddSingleton<ShardHost>();
        services.AddSingleton<ShardRouter>();
        services.AddPlacementDirector<ShardPlacement, ShardPlacementDirector>();
        services.AddPlacementDirector<JobPlacement, JobPlacementDirector>();
        return services;
    }
}
