using System.Globalization;
using System.Text;

namespace Loom.Grains.Jobs;

/// <summary>User strings made safe for a log line or an error message: control characters escaped, length capped.</summary>
public static class LogText
{
    /// <summary>Longest text kept, in characters, before "..." is appended.</summary>
    public const int MaxChars = 140;

    /// <summary><paramref name="text"/> with control characters as <c>\n</c>, <c>\0</c>, <c>\u001b</c> ... and cut at <see cref="MaxChars"/>.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var escaped = new StringBuilder(Math.Min(text.Length, MaxChars) + 8);
        foreach (char c in text.Length > MaxChars ? text[..MaxChars] : text)
        {
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\0' => "\\0",
                '\\' => "\\\\",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return text.Length > MaxChars ? escaped.Append("...").ToString() : escaped.ToString();
    }
}
