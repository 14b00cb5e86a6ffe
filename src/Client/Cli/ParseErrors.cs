using System.CommandLine;
using System.Text.RegularExpressions;

namespace Loom.Client.Cli;

/// <summary>
/// System.CommandLine's parse errors in plain words: a mistyped option or command gets the nearest real one
/// ("did you mean --steps?"), and a value of the wrong type says what was expected ("a whole number"), not a .NET type.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>One line per error of <paramref name="parse"/>.</summary>
    public static IEnumerable<string> Explain(ParseResult parse)
    {
        // "loom rendr": the missing command is said by the suggestion for the unrecognized one.
        bool unknownCommand = parse.Errors.Any(e => Unrecognized().Match(e.Message) is { Success: true } m && !m.Groups[1].Value.StartsWith('-'));
        foreach (var error in parse.Errors)
        {
            string message = error.Message;
            if (unknownCommand && message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            {
                continue;
            }
            if (Unrecognized().Match(message) is { Success: true } unknown)
            {
                string token = unknown.Groups[1].Value;
                string? near = Nearest(token, Names(parse.CommandResult.Command, token.StartsWith('-')));
                yield return near is null ? message : $"{message} Did you mean '{near}'?";
            }
            else if (WrongType().Match(message) is { Success: true } wrong)
            {
                yield return $"{wrong.Groups[2].Value}: '{wrong.Groups[1].Value}' is not {Expected(wrong.Groups[3].Value)}.";
            }
            else
            {
                yield return message;
            }
        }
    }

    /// <summary>Words for a .NET type name as System.CommandLine prints it.</summary>
    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number (e.g. 0.5)",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("Uri", StringComparison.Ordinal) => "an address (e.g. http://localhost:7070)",
        _ => "a value of the expected kind",
    };

    /// <summary>Option names and aliases (with <paramref name="options"/>) or subcommand names of <paramref name="command"/> and, for options, the recursive ones of its parents.</summary>
    private static IEnumerable<string> Names(Command command, bool options)
    {
        if (!options)
        {
            return command.Subcommands.Select(c => c.Name);
        }
        var names = new List<string>();
        foreach (Option option in command.Options)
        {
            names.Add(option.Name);
            names.AddRange(option.Aliases);
        }
        for (Command? parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option option in parent.Options.Where(o => o.Recursive))
            {
                names.Add(option.Name);
            }
        }
        return names.Where(n => n.StartsWith("--", StringComparison.Ordinal));
    }

    /// <summary>The name closest to <paramref name="token"/> within an edit distance of a third of its length (at least 1, at most 3), or null.</summary>
    private static string? Nearest(string token, IEnumerable<string> names)
    {
        int limit = Math.Clamp(token.TrimStart('-').Length / 3, 1, 3);
        return names.Select(n => (Name: n, Distance: Distance(token, n))).Where(c => c.Distance <= limit).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Name).FirstOrDefault();
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(.+)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.+)' as expected type '(.+)'\.?$")]
    private static partial Regex WrongType();
}
