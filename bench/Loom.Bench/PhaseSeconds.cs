using System.Globalization;
using System.Text.RegularExpressions;

namespace Loom.Bench;

/// <summary>Seconds per step phase (<c>loom_step_phase_seconds_total{phase}</c>), as scraped from silos' <c>/metrics</c>.</summary>
/// <param name="Seconds">Seconds by phase label.</param>
public sealed partial record PhaseSeconds(IReadOnlyDictionary<string, double> Seconds)
{
    /// <summary>Seconds of <paramref name="phase"/> (0 when no silo reported it).</summary>
    public double this[string phase] => Seconds.GetValueOrDefault(phase);

    /// <summary>This scrape less an earlier one: what happened between them.</summary>
    public PhaseSeconds Minus(PhaseSeconds earlier)
        => new(Seconds.ToDictionary(kv => kv.Key, kv => kv.Value - earlier[kv.Key], StringComparer.Ordinal));

    /// <summary>The phase series of one Prometheus text exposition.</summary>
    public static IEnumerable<(string Phase, double Seconds)> Parse(string metrics)
        => Series().Matches(metrics).Select(m => (m.Groups[1].Value, double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^loom_step_phase_seconds_total\{phase=""([a-z_]+)""\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex Series();
}
