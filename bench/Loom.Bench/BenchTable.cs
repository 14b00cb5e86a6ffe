using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Loom.Bench;

/// <summary>A benchmark's result: a title, its settings, and rows of named columns, as text or JSON.</summary>
public sealed class BenchTable(string name, IReadOnlyDictionary<string, object> settings, IReadOnlyList<string> columns)
{
    private readonly List<object[]> _rows = [];

    /// <summary>Notes printed under the table (how to read it).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Adds a row; values line up with the columns.</summary>
    public void Add(params object[] values)
    {
        if (values.Length != columns.Count)
        {
            throw new ArgumentException($"row has {values.Length} values for {columns.Count} columns.");
        }
        _rows.Add(values);
    }

    /// <summary>A Markdown table with the settings above and the notes below.</summary>
    public string ToText()
    {
        string[][] cells = _rows.Select(r => r.Select(Format).ToArray()).ToArray();
        int[] widths = columns.Select((c, i) => Math.Max(c.Length, cells.Length == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        text.AppendLine($"{name}: " + string.Join(", ", settings.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
        text.AppendLine();
        text.AppendLine("| " + string.Join(" | ", columns.Select((c, i) => c.PadRight(widths[i]))) + " |");
        text.AppendLine("|" + string.Join("|", widths.Select((w, i) => i == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
        foreach (string[] row in cells)
        {
            text.AppendLine("| " + string.Join(" | ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |");
        }
        foreach (string note in Notes)
        {
            text.AppendLine().Append(note);
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>The same content as one JSON object.</summary>
    public string ToJson()
    {
        var rows = _rows.Select(r => columns.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        return JsonSerializer.Serialize(new { benchmark = name, settings, rows, notes = Notes }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }

    private static string Format(object value) => value switch
    {
        double d when double.IsNaN(d) => "-",
        double d => d.ToString(Math.Abs(d) >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
