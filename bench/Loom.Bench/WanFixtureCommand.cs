using System.Globalization;
using System.Text.Json;
using Loom.Models.Wan.Fixtures;

namespace Loom.Bench;

/// <summary>
/// <c>wan-fixture FILE... [--json]</c>: runs the ported Wan module on each golden reference file (any shapes; official or
/// Diffusers weight names, detected) and prints one row per reproduced tensor. Exits 1 when any tensor fails.
/// </summary>
public static class WanFixtureCommand
{
    /// <summary>Runs the command; returns the exit code (0 all pass, 1 a tensor failed, 2 usage or unreadable file).</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        bool json = args.Contains("--json");
        string[] files = args.Where(a => a != "--json").ToArray();
        if (files.Length == 0 || files.Any(f => f.StartsWith("--", StringComparison.Ordinal)))
        {
            Console.Error.WriteLine("usage: Loom.Bench wan-fixture FILE... [--json]");
            return 2;
        }
        var reports = new List<object>();
        bool allPass = true;
        var table = new List<string[]>();
        foreach (string file in files)
        {
            string kind;
            IReadOnlyList<TensorCheck> checks;
            try
            {
                kind = WanFixtureRunners.KindOf(file);
                checks = WanFixtureRunners.For(file, kind).Run(file);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or JsonException or ArgumentException)
            {
                Console.Error.WriteLine($"Loom.Bench wan-fixture: {e.Message}");
                return 2;
            }
            bool pass = checks.Count > 0 && checks.All(c => c.Pass);
            allPass &= pass;
            reports.Add(new
            {
                file,
                fixture = kind,
                pass,
                tensors = checks.Select(c => new { name = c.Name, max_abs = c.MaxAbs, max_rel = c.MaxRel, tolerance = c.Tolerance, pass = c.Pass, detail = c.Detail }),
            });
            table.AddRange(checks.Select(c => new[]
            {
                Path.GetFileName(file), c.Name, E(c.MaxAbs), E(c.MaxRel), E(c.Tolerance), c.Pass ? "pass" : "FAIL " + c.Detail,
            }));
        }
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "wan-fixture", files = reports },
                new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        else
        {
            PrintTable(["file", "tensor", "max abs", "max rel", "tolerance", "result"], table);
        }
        return allPass ? 0 : 1;
    }

    private static string E(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    private static void PrintTable(string[] columns, List<string[]> rows)
    {
        int[] widths = columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine("| " + string.Join(" | ", columns.Select((c, i) => c.PadRight(widths[i]))) + " |");
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (string[] row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))) + " |");
        }
    }
}
