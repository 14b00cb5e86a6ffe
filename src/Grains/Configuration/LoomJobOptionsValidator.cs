using Loom.Grains.Jobs;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Configuration;

/// <summary>
/// The allowed range of every <see cref="LoomJobOptions"/> setting, checked once at start (<c>ValidateOnStart</c>): a
/// silo with a bad setting does not start, and the error names the setting and its range.
/// </summary>
public sealed class LoomJobOptionsValidator : IValidateOptions<LoomJobOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JobLimits limits = options.Limits ?? new JobLimits();
        return new SettingChecks()
            .NotEmpty("Loom:OutputDirectory", options.OutputDirectory)
            .Between("Loom:MaxRunningJobs", options.MaxRunningJobs, 1, 100_000)
            .Between("Loom:Limits:MaxFrames", limits.MaxFrames, 1, 1 << 20)
            .Between("Loom:Limits:MaxSteps", limits.MaxSteps, 1, 100_000)
            .Between("Loom:Limits:MaxGuidance", limits.MaxGuidance, 0, 1000)
            .Between("Loom:Limits:MaxIterationsPerStep", limits.MaxIterationsPerStep, 0, 1000)
            .Between("Loom:Limits:MaxConditioningBytes", limits.MaxConditioningBytes, 0, 1 << 30)
            .Between("Loom:Limits:MaxPromptBytes", limits.MaxPromptBytes, 1, 1 << 20)
            .Result();
    }
}
