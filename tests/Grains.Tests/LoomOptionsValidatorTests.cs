using Loom.Grains.Configuration;

namespace Loom.Grains.Tests;

/// <summary>Every bad setting is refused with its full key and its allowed range; the defaults pass.</summary>
public sealed class LoomOptionsValidatorTests
{
    private static readonly LoomOptionsValidator Validator = new();

    [Fact]
    public void The_defaults_are_valid() => Assert.True(Validator.Validate(null, new LoomOptions()).Succeeded);

    [Fact]
    public void Each_setting_out_of_range_is_named_with_its_range()
    {
        var options = new LoomOptions
        {
            EvaluationTimeout = TimeSpan.FromSeconds(-1),
            Shards = 0,
            Devices = "gpu",
            EvaluationTimeoutMultiple = double.NaN,
            HeartbeatInterval = TimeSpan.FromSeconds(10),
            ShardStaleAfter = TimeSpan.FromSeconds(5),
        };
        options.Limits.MaxSteps = -3;

        string[] failures = [.. Validator.Validate(null, options).Failures!];

        Assert.Contains("Loom:EvaluationTimeout is -00:00:01; allowed: 00:00:01 to 1.00:00:00.", failures);
        Assert.Contains("Loom:Shards is 0; allowed: 1 to 256.", failures);
        Assert.Contains("Loom:Devices is 'gpu'; allowed: one of auto, cpu, cuda.", failures);
        Assert.Contains("Loom:EvaluationTimeoutMultiple is NaN; allowed: 0 to 1000.", failures);
        Assert.Contains("Loom:Limits:MaxSteps is -3; allowed: 1 to 100000.", failures);
        Assert.Contains(failures, f => f.StartsWith("Loom:ShardStaleAfter (00:00:05) is below Loom:HeartbeatInterval", StringComparison.Ordinal));
        Assert.Equal(6, failures.Length); // not also "the floor is above the timeout": the timeout's own line says it
    }

    [Fact]
    public void A_floor_above_the_timeout_is_refused()
    {
        var options = new LoomOptions { EvaluationTimeout = TimeSpan.FromSeconds(3), EvaluationTimeoutFloor = TimeSpan.FromSeconds(4) };

        string failure = Assert.Single(Validator.Validate(null, options).Failures!);

        Assert.StartsWith("Loom:EvaluationTimeoutFloor (00:00:04) is above Loom:EvaluationTimeout (00:00:03)", failure, StringComparison.Ordinal);
    }
}
