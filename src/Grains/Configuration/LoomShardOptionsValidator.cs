using Loom.Grains.Shards;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Configuration;

/// <summary>
/// The allowed range of every <see cref="LoomShardOptions"/> setting, checked once at start (<c>ValidateOnStart</c>): a
/// silo with a bad setting does not start, and the error names the setting and its range.
/// </summary>
public sealed class LoomShardOptionsValidator : IValidateOptions<LoomShardOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomShardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SettingChecks()
            .OneOf(ShardDevices.Setting, options.Devices, [.. ShardDevices.Modes])
            .Between("Loom:Shards", options.Shards, 1, 256)
            .Between("Loom:SimulatedForward", options.SimulatedForward, TimeSpan.Zero, TimeSpan.FromMinutes(10))
            .Between("Loom:MaxBatch", options.MaxBatch, 1, 1024)
            .Between("Loom:ShardModelBytes", options.ShardModelBytes, 0, long.MaxValue)
            .Between("Loom:ThreadsPerShard", options.ThreadsPerShard, 0, 1024)
            .Between("Loom:ConditioningCacheEntries", options.ConditioningCacheEntries, 0, 1_000_000)
            .Between("Loom:HeartbeatInterval", options.HeartbeatInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1))
            .Between("Loom:ShardStaleAfter", options.ShardStaleAfter, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1))
            .That(options.HeartbeatInterval > TimeSpan.FromMinutes(1) || options.ShardStaleAfter >= options.HeartbeatInterval,
                $"Loom:ShardStaleAfter ({options.ShardStaleAfter:c}) is below Loom:HeartbeatInterval ({options.HeartbeatInterval:c}); allowed: at least one heartbeat, or every shard looks stale.")
            .Result();
    }
}
