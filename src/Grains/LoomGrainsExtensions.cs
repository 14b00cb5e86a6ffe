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
    /// the silo's options (<see cref="LoomJobOptions"/>, <see cref="LoomEvaluationOptions"/>, <see cref="LoomShardOptions"/>,
    /// <see cref="LoomCatalogOptions"/>: bound by the host). Storage (grain state, latents, results, the job index) is the host's
    /// choice. <see cref="LoomMetrics"/> goes to the default Prometheus registry unless the host registered its own.
    /// </summary>
    public static IServiceCollection AddLoomGrains(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoomJobOptions>, LoomJobOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoomEvaluationOptions>, LoomEvaluationOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoomShardOptions>, LoomShardOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoomCatalogOptions>, LoomCatalogOptionsValidator>());
        services.AddOptions<LoomJobOptions>().ValidateOnStart();
        services.AddOptions<LoomEvaluationOptions>().ValidateOnStart();
        services.AddOptions<LoomShardOptions>().ValidateOnStart();
        services.AddOptions<LoomCatalogOptions>().ValidateOnStart();
        services.AddLoomResilience();
        services.AddSingleton(sp => new ShardLatencies(sp.GetRequiredService<IOptions<LoomEvaluationOptions>>().Value));
        services.TryAddSingleton(_ => new LoomMetrics(Metrics.DefaultRegistry));
        services.AddSingleton<LocalJobs>();
        services.AddSingleton<StorageHealth>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<WanJobModels>();
        services.AddSingleton<WanShardDecode>();
        services.AddSingleton<ShardHost>();
        services.AddSingleton(sp => new ResidentWindows(sp.GetRequiredService<ShardHost>(), sp.GetRequiredService<IGrainFactory>(), spec => JobRecipe.Resolve(spec).Resident(), sp.GetRequiredService<LoomMetrics>()));
        services.AddSingleton<ShardRouter>();
        services.AddSingleton<ShardResidency>();
        services.AddSingleton<IJobFields, ShardJobFields>();
        services.AddPlacementDirector<ShardPlacement, ShardPlacementDirector>();
        services.AddPlacementDirector<JobPlacement, JobPlacementDirector>();
        return services;
    }
}
