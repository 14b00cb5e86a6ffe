using System.Globalization;

namespace Loom.Bench;

/// <summary><c>--json</c> and <c>--name value</c> options of a benchmark run.</summary>
public sealed class BenchArguments
{
    private readonly Dictionary<string, string> _options;

    private BenchArguments(bool json, Dictionary<string, string> options)
    {
        Json = json;
        _options = options;
    }

    /// <summary>Print one JSON object instead of a table.</summary>
    public bool Json { get; }

    /// <summary>Parses <c>--json</c> and <c>--name value</c> pairs.</summary>
    public static BenchArguments Parse(IEnumerable<string> args)
    {
        bool json = false;
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (arg == "--json")
            {
                json = true;
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal) && e.MoveNext())
            {
                options[arg[2..]] = e.Current;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}' (options are --name value).");
            }
        }
        return new BenchArguments(json, options);
    }

    /// <summary>An integer option, or its default.</summary>
    public int Int(string name, int fallback) => _options.TryGetValue(name, out string? text)
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} must be a positive integer, got '{text}'.")
        : fallback;

    /// <summary>A comma-separated list of positive integers (<c>1,2,4</c>), or its default.</summary>
    public int[] Ints(string name, string fallback)
    {
        string text = Text(name, fallback);
        int[] values = text.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--{name} must be positive integers separated by commas, got '{text}'."))
            .ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"--{name} must name at least one count.");
    }

    /// <summary>A number option, or its default.</summary>
    public double Double(string name, double fallback) => _options.TryGetValue(name, out string? text)
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"--{name} must be a number, got '{text}'.")
        : fallback;

    /// <summary>A text option, or its default.</summary>
    public string Text(string name, string fallback) => _options.TryGetValue(name, out string? text) ? text : fallback;

    /// <summary>The passes <c>--resident no|yes|both</c> asks for: false for the job holding the latent, true for resident windows.</summary>
    public bool[] ResidentPasses(string fallback) => Text("resident", fallback) switch
    {
        "no" => [false],
        "yes" => [true],
        "both" => [false, true],
        var other => throw new ArgumentException($"--resident must be no, yes or both; got '{other}'."),
    };
}
