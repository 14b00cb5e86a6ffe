using Loom.Grains.Configuration;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>The allowed range of every <see cref="LoomApiOptions"/> setting, checked once at start (<c>ValidateOnStart</c>).</summary>
public sealed class LoomApiOptionsValidator : IValidateOptions<LoomApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checks = new SettingChecks()
            .Between("Loom:GrpcPort", options.GrpcPort, 0, 65535)
            .Between("Loom:MetricsPort", options.MetricsPort, 0, 65535);
        ApiKey[] keys = options.ApiKeys ?? [];
        for (int i = 0; i < keys.Length; i++)
        {
            // A submitter's jobs are recorded under its owner; without one they would belong to nobody.
            checks.That(string.IsNullOrEmpty(keys[i].Key) || keys[i].Role != ApiKeyRole.Submitter || !string.IsNullOrWhiteSpace(keys[i].Owner),
                $"Loom:ApiKeys:{i}:Owner is empty; allowed: any non-empty name (a submitter key needs an owner: its jobs are recorded under it).");
        }
        return checks.Result();
    }
}
