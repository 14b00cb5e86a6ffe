using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>The failures of settings refused at start, found wherever the host wrapped them, as one line for the operator.</summary>
public static class InvalidSettings
{
    /// <summary>Every failure of every <see cref="OptionsValidationException"/> in <paramref name="error"/>, joined; null when there is none.</summary>
    public static string? Describe(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        string[] failures = Find(error).SelectMany(e => e.Failures).Distinct(StringComparer.Ordinal).ToArray();
        return failures.Length == 0 ? null : $"invalid settings: {string.Join(" ", failures)}";
    }

    private static IEnumerable<OptionsValidationException> Find(Exception? error) => error switch
    {
        null => [],
        OptionsValidationException refused => [refused],
        AggregateException many => many.InnerExceptions.SelectMany(Find),
        _ => Find(error.InnerException),
    };
}
