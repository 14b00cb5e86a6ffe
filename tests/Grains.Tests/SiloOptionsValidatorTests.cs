using Loom.Grains.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Tests;

/// <summary>
/// The grains' options, one type per concern, all read from section <c>Loom</c> under the keys users already write:
/// every bad setting is refused with its full key and its allowed range; the defaults pass.
/// </summary>
public sealed class SiloOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new LoomJobOptionsValidator().Validate(null, new LoomJobOptions()).Succeeded);
        Assert.True(new LoomEvaluationOptionsValidator().Validate(null, new LoomEvaluationOptions()).Succeeded);
        Assert.True(new LoomShardOptionsValidator().Validate(null, new LoomShardOptions()).Succeeded);
        Assert.True(new LoomCatalogOptionsValidator().Validate(null, new LoomCatalogOptions()).Succeeded);
    }

    [Fact]
    public void Each_setting_out_of_range_is_named_with_its_range()
    {
        var shards = new LoomShardOptions { Shards = 0, Devices = "gpu", HeartbeatInterval = TimeSpan.FromSeconds(10), ShardStaleAfter = TimeSpan.FromSeconds(5) };
        var evaluation = new LoomEvaluationOptions { EvaluationTimeout = TimeSpan.FromSeconds(-1), EvaluationTimeoutMultiple = double.NaN };
        var jobs = new LoomJobOptions { MaxRunningJobs = 0 };
        jobs.Limits.MaxSteps = -3;

        string[] failures =
        [
            .. new LoomShardOptionsValidator().Validate(null, shards).Failures!,
            .. new LoomEvaluationOptionsValidator().Validate(null, evaluation).Failures!,
            .. new LoomJobOptionsValidator().Validate(null, jobs).Failures!,
            .. new LoomCatalogOptionsValidator().Validate(null, new LoomCatalogOptions { ModelDirectory = " " }).Failures!,
        ];

        Assert.Contains("Loom:EvaluationTimeout is -00:00:01; allowed: 00:00:01 to 1.00:00:00.", failures);
        Assert.Contains("Loom:Shards is 0; allowed: 1 to 256.", failures);
        Assert.Contains("Loom:Devices is 'gpu'; allowed: one of auto, cpu, cuda.", failures);
        Assert.Contains("Loom:EvaluationTimeoutMultiple is NaN; allowed: 0 to 1000.", failures);
        Assert.Contains("Loom:MaxRunningJobs is 0; allowed: 1 to 100000.", failures);
        Assert.Contains("Loom:Limits:MaxSteps is -3; allowed: 1 to 100000.", failures);
        Assert.Contains("Loom:ModelDirectory is empty; allowed: any non-empty text.", failures);
        Assert.Contains(failures, f => f.StartsWith("Loom:ShardStaleAfter (00:00:05) is below Loom:HeartbeatInterval", StringComparison.Ordinal));
        Assert.Equal(8, failures.Length); // not also "the floor is above the timeout": the timeout's own line says it
    }

    [Fact]
    public void A_floor_above_the_timeout_is_refused()
    {
        var options = new LoomEvaluationOptions { EvaluationTimeout = TimeSpan.FromSeconds(3), EvaluationTimeoutFloor = TimeSpan.FromSeconds(4) };

        string failure = Assert.Single(new LoomEvaluationOptionsValidator().Validate(null, options).Failures!);

        Assert.StartsWith("Loom:EvaluationTimeoutFloor (00:00:04) is above Loom:EvaluationTimeout (00:00:03)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_keys_users_write_reach_each_concern_and_a_bad_one_stops_the_start()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Loom:OutputDirectory"] = "results",
            ["Loom:Limits:MaxSteps"] = "40",
            ["Loom:EvaluationAttempts"] = "3",
            ["Loom:MaxBatch"] = "0",
            ["Loom:ModelDirectory"] = "weights",
        }).Build();
        var services = new ServiceCollection().AddSingleton(configuration);
        services.AddOptions<LoomJobOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomEvaluationOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomShardOptions>().BindConfiguration("Loom");
        services.AddOptions<LoomCatalogOptions>().BindConfiguration("Loom");
        services.AddLoomGrains();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal("results", provider.GetRequiredService<IOptions<LoomJobOptions>>().Value.OutputDirectory);
        Assert.Equal(40, provider.GetRequiredService<IOptions<LoomJobOptions>>().Value.Limits.MaxSteps);
        Assert.Equal(3, provider.GetRequiredService<IOptions<LoomEvaluationOptions>>().Value.EvaluationAttempts);
        Assert.Equal("weights", provider.GetRequiredService<IOptions<LoomCatalogOptions>>().Value.ModelDirectory);
        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal("Loom:MaxBatch is 0; allowed: 1 to 1024.", Assert.Single(refused.Failures));
    }
}
