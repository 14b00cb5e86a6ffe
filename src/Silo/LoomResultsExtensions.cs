using Loom.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>The result store (<see cref="LoomResultsOptions"/>), its retention sweep, and the state store's write probe in cluster mode.</summary>
public static class LoomResultsExtensions
{
    /// <summary>
    /// Binds <c>Loom:Results</c> (validated at start: a bad setting stops the silo with the key named), registers the
    /// files or S3 result store and the <see cref="RetentionSweeper"/>, and with Redis the <see cref="StateStoreProbe"/>.
    /// </summary>
    public static IServiceCollection AddLoomResults(this IServiceCollection services, IConfiguration configuration, bool cluster)
    {
        services.AddOptions<LoomResultsOptions>()
            .Bind(configuration.GetSection(LoomResultsOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<LoomResultsOptions>, LoomResultsValidation>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IResultStore>(sp =>
        {
            LoomResultsOptions results = sp.GetRequiredService<IOptions<LoomResultsOptions>>().Value;
            return results.Store == ResultStoreKind.S3
                ? S3ResultStore.Create(results.S3)
                : new FileResultStore(ResultsDirectory(results, sp.GetRequiredService<IOptions<LoomHostOptions>>().Value), sp.GetRequiredService<StorageHealth>());
        });
        services.AddHostedService<RetentionSweeper>();
        if (cluster)
        {
            services.AddHostedService<StateStoreProbe>();
        }
        return services;
    }

    /// <summary>The files store's folder: <c>Loom:Results:Directory</c>, else <c>results</c> under the data folder.</summary>
    public static string ResultsDirectory(LoomResultsOptions results, LoomHostOptions host)
        => Path.GetFullPath(string.IsNullOrWhiteSpace(results.Directory) ? Path.Combine(host.DataDirectory, "results") : results.Directory);
}
