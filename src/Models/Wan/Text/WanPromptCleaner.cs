using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Wan's prompt cleaning before tokenisation (official <c>HuggingfaceTokenizer(clean='whitespace')</c>, Diffusers'
/// <c>prompt_clean</c>): <c>ftfy.fix_text</c>, <c>html.unescape</c> twice, strip, every whitespace run → one space, strip.
/// <para>
/// Of <c>ftfy.fix_text</c> (defaults) this reproduces: HTML unescaping when the text has no <c>&lt;</c>, terminal escape
/// removal, Latin ligatures (ﬁ → fi, ...), full-/half-width forms to their normal width, curly quotes → straight,
/// line breaks, the removal of the control and invisible characters ftfy drops, and NFC. It does <b>not</b> reproduce
/// the heuristic mojibake repair (<c>fix_encoding</c>, <c>decode_inconsistent_utf8</c>, <c>restore_byte_a0</c>,
/// <c>replace_lossy_sequences</c>), <c>fix_c1_controls</c> (C1 characters read as windows-1252) nor <c>fix_surrogates</c>:
/// text already broken by a wrong encoding is tokenised as it is. HTML unescaping uses .NET's
/// <see cref="WebUtility.HtmlDecode"/>: HTML 4 named entities and numeric references, where Python also knows the
/// HTML5-only names and a few legacy names without semicolon.
/// </para>
/// Whitespace is Python's <c>str.isspace</c> set (<c>\s</c> of <c>re</c>), which includes U+001C..U+001F.
/// </summary>
public static partial class WanPromptCleaner
{
    /// <summary>The cleaned prompt.</summary>
    public static string Clean(string prompt)
    {
        string text = FixText(prompt);
        text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text));
        text = StripWhitespace(text);
        var collapsed = new StringBuilder(text.Length);
        bool inRun = false;
        foreach (char c in text)
        {
            if (IsPythonWhitespace(c))
            {
                if (!inRun)
                {
                    collapsed.Append(' ');
                }
                inRun = true;
            }
            else
            {
                collapsed.Append(c);
                inRun = false;
            }
        }
        return StripWhitespace(collapsed.ToString());
    }

    /// <summary>The reproduced part of <c>ftfy.fix_text</c> (see the type's remarks), in ftfy's order.</summary>
    public static string FixText(string text)
    {
        if (!text.Contains('<'))
        {
            text = WebUtility.HtmlDecode(text);
        }
        text = TerminalEscape().Replace(text, "");
        var fixedText = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case >= '\uFB00' and <= '\uFB06':
                case '\u0132' or '\u0133' or '\u0149' or (>= '\u01C4' and <= '\u01CC') or (>= '\u01F1' and <= '\u01F3'):
                case '\u3000' or (>= '\uFF01' and <= '\uFFEE'):
                    fixedText.Append(c.ToString().Normalize(NormalizationForm.FormKC));
                    break;
                case '\u02BC' or (>= '\u2018' and <= '\u201B'):
                    fixedText.Append('\'');
                    break;
                case >= '\u201C' and <= '\u201F':
                    fixedText.Append('"');
                    break;
                default:
                    fixedText.Append(c);
                    break;
            }
        }
        text = fixedText.ToString().Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');
        text = ControlCharacters().Replace(text, "");
        return text.Normalize(NormalizationForm.FormC);
    }

    /// <summary>Python's <c>str.isspace</c> for one UTF-16 unit (all such characters are in the BMP).</summary>
    public static bool IsPythonWhitespace(char c) =>
        c is (>= '\t' and <= '\r') or (>= '\u001C' and <= ' ') or '\u0085' or '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A')
            or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000';

    private static string StripWhitespace(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsPythonWhitespace(text[start]))
        {
            start++;
        }
        while (end > start && IsPythonWhitespace(text[end - 1]))
        {
            end--;
        }
        return text[start..end];
    }

    [GeneratedRegex(@"\u001B\[((?:\d|;)*)([a-zA-Z])")]
    private static partial Regex TerminalEscape();

    /// <summary>ftfy's <c>remove_control_chars</c> set (tab, newline, form feed and carriage return are kept).</summary>
    [GeneratedRegex(@"[\u0000-\u0008\u000B\u000E-\u001F\u007F\u206A-\u206F\uFEFF\uFFF9-\uFFFC]|\uD834[\uDD73-\uDD7A]|\uDB40[\uDC00-\uDC7F]")]
    private static partial Regex ControlCharacters();
}
