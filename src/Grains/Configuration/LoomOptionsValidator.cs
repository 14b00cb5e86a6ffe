using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Configuration;

/// <summary>
/// The allowed range of every <see cref="LoomOptions"/> setting (section <c>Loom</c>), checked once at start
/// (<c>ValidateOnStart</c>): a silo with a bad setting does not start, and the error names the setting and its range.
/// </summary>
public sealed class LoomOptionsValidator : IValidateOptions<LoomOptions>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checks = new SettingChecks()
            .NotEmpty("Loom:ModelDirectory", options.ModelDirectory)
            .NotEmpty("Loom:OutputDirectory", options.OutputDirectory)
            .OneOf(ShardDevices.Setting, options.Devices, [.. ShardDevices.Modes])
            .Between("Loom:Shards", options.Shards, 1, 256)
            .Between("Loom:SimulatedForward", options.SimulatedForward, TimeSpan.Zero, TimeSpan.FromMinutes(10))
            .Between("Loom:MaxBatch", options.MaxBatch, 1, 1024)
            .Between("Loom:ShardModelBytes", options.ShardModelBytes, 0, long.MaxValue)
            .Between("Loom:ThreadsPerShard", options.ThreadsPerShard, 0, 1024)
            .Between("Loom:ConditioningCacheEntries", options.ConditioningCacheEntries, 0, 1_000_000)
            .Between("Loom:EvaluationTimeout", options.EvaluationTimeout, TimeSpan.FromSeconds(1), Day)
            .Between("Loom:EvaluationTimeoutMultiple", options.EvaluationTimeoutMultiple, 0, 1000)
            .Between("Loom:EvaluationTimeoutFloor", options.EvaluationTimeoutFloor, TimeSpan.FromMilliseconds(100), Day)
            // A relation between two settings is checked once each is in its range (else that one line says enough).
            .That(options.EvaluationTimeout < TimeSpan.FromSeconds(1) || options.EvaluationTimeoutFloor <= options.EvaluationTimeout,
                $"Loom:EvaluationTimeoutFloor ({options.EvaluationTimeoutFloor:c}) is above Loom:EvaluationTimeout ({options.EvaluationTimeout:c}); allowed: at most the timeout.")
            .Between("Loom:EvaluationAttempts", options.EvaluationAttempts, 1, 100)
            .Between("Loom:MaxRunningJobs", options.MaxRunningJobs, 1, 100_000)
            .Between("Loom:HeartbeatInterval", options.HeartbeatInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1))
            .Between("Loom:ShardStaleAfter", options.ShardStaleAfter, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1))
            .That(options.HeartbeatInterval > TimeSpan.FromMinutes(1) || options.ShardStaleAfter >= options.HeartbeatInterval,
                $"Loom:ShardStaleAfter ({options.ShardStaleAfter:c}) is below Loom:HeartbeatInterval ({options.HeartbeatInterval:c}); allowed: at least one heartbeat, or every shard looks stale.");
        JobLimits limits = options.Limits ?? new JobLimits();
        checks
            .Between("Loom:Limits:MaxFrames", limits.MaxFrames, 1, 1 << 20)
            .Between("Loom:Limits:MaxSteps", limits.MaxSteps, 1, 100_000)
            .Between("Loom:Limits:MaxGuidance", limits.MaxGuidance, 0, 1000)
            .Between("Loom:Limits:MaxIterationsPerStep", limits.MaxIterationsPerStep, 0, 1000)
            .Between("Loom:Limits:MaxConditioningBytes", limits.MaxConditioningBytes, 0, 1 << 30)
            .Between("Loom:Limits:MaxPromptBytes", limits.MaxPromptBytes, 1, 1 << 20);
        return checks.Result();
    }
}
