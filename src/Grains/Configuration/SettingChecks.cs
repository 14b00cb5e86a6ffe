using System.Globalization;

namespace Loom.Grains.Configuration;

/// <summary>
/// Range checks for settings, each failure one line naming the setting's full configuration key and what it allows
/// (<c>Loom:EvaluationTimeout is -00:00:01; allowed 00:00:01 to 1.00:00:00</c>), so a silo refused at start says what to fix.
/// </summary>
public sealed class SettingChecks
{
    private readonly List<string> _failures = [];

    /// <summary>The failures found so far.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Checks <c>min &lt;= value &lt;= max</c>.</summary>
    public SettingChecks Between(string setting, long value, long min, long max)
        => Check(value >= min && value <= max, setting, value.ToString(CultureInfo.InvariantCulture), $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Checks <c>min &lt;= value &lt;= max</c> (and that the value is a number).</summary>
    public SettingChecks Between(string setting, double value, double min, double max)
        => Check(double.IsFinite(value) && value >= min && value <= max, setting, value.ToString(CultureInfo.InvariantCulture), $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Checks <c>min &lt;= value &lt;= max</c> for a duration (written <c>hh:mm:ss</c> in configuration).</summary>
    public SettingChecks Between(string setting, TimeSpan value, TimeSpan min, TimeSpan max)
        => Check(value >= min && value <= max, setting, value.ToString("c", CultureInfo.InvariantCulture), $"{min.ToString("c", CultureInfo.InvariantCulture)} to {max.ToString("c", CultureInfo.InvariantCulture)}");

    /// <summary>Checks that a text setting is set.</summary>
    public SettingChecks NotEmpty(string setting, string? value)
        => Check(!string.IsNullOrWhiteSpace(value), setting, "empty", "any non-empty text");

    /// <summary>Checks that a text setting is one of <paramref name="allowed"/> (case-insensitive).</summary>
    public SettingChecks OneOf(string setting, string? value, IReadOnlyCollection<string> allowed)
        => Check(allowed.Contains((value ?? "").Trim(), StringComparer.OrdinalIgnoreCase), setting, $"'{value}'", $"one of {string.Join(", ", allowed)}");

    /// <summary>Records <paramref name="failure"/> (already naming its setting) unless <paramref name="ok"/>.</summary>
    public SettingChecks That(bool ok, string failure)
    {
        if (!ok)
        {
            _failures.Add(failure);
        }
        return this;
    }

    /// <summary>The result for an options validator: success, or every failure.</summary>
    public Microsoft.Extensions.Options.ValidateOptionsResult Result()
        => _failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(_failures);

    private SettingChecks Check(bool ok, string setting, string got, string allowed) => That(ok, $"{setting} is {got}; allowed: {allowed}.");
}
