using Microsoft.Extensions.Options;

namespace Loom.Grains.Configuration;

/// <summary>
/// The allowed range of every <see cref="LoomEvaluationOptions"/> setting, checked once at start (<c>ValidateOnStart</c>):
/// a silo with a bad setting does not start, and the error names the setting and its range.
/// </summary>
public sealed class LoomEvaluationOptionsValidator : IValidateOptions<LoomEvaluationOptions>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SettingChecks()
            .Between("Loom:EvaluationTimeout", options.EvaluationTimeout, TimeSpan.FromSeconds(1), Day)
            .Between("Loom:EvaluationTimeoutMultiple", options.EvaluationTimeoutMultiple, 0, 1000)
            .Between("Loom:EvaluationTimeoutFloor", options.EvaluationTimeoutFloor, TimeSpan.FromMilliseconds(100), Day)
            // A relation between two settings is checked once each is in its range (else that one line says enough).
            .That(options.EvaluationTimeout < TimeSpan.FromSeconds(1) || options.EvaluationTimeoutFloor <= options.EvaluationTimeout,
                $"Loom:EvaluationTimeoutFloor ({options.EvaluationTimeoutFloor:c}) is above Loom:EvaluationTimeout ({options.EvaluationTimeout:c}); allowed: at most the timeout.")
            .Between("Loom:EvaluationAttempts", options.EvaluationAttempts, 1, 100)
            .Result();
    }
}
