using System.Text.Json;
using Loom.Models.Wan.Fixtures;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Runs <c>tokenizer_cases.json</c>: every case of every model named there (the <c>.model</c> files are found beside the
/// json) is encoded and decoded; one check per case, exact: max abs 1 when the ids, pieces or decoded text differ, the
/// detail naming the first difference.
/// </summary>
public sealed class TokenizerCasesRunner : IWanFixtureRunner
{
    /// <inheritdoc />
    public IReadOnlyList<string> Kinds { get; } = [WanFixtureRunners.TokenizerCases];

    /// <inheritdoc />
    public IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        var checks = new List<TensorCheck>();
        foreach (JsonProperty model in json.RootElement.GetProperty("models").EnumerateObject())
        {
            var tokenizer = new UnigramTokenizer(SentencePieceModel.Load(System.IO.Path.Combine(folder, model.Name)));
            int index = 0;
            foreach (JsonElement testCase in model.Value.GetProperty("cases").EnumerateArray())
            {
                string text = testCase.GetProperty("text").GetString() ?? "";
                int[] expectedIds = testCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                string[] expectedPieces = testCase.GetProperty("pieces").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
                string expectedDecoded = testCase.GetProperty("decoded").GetString() ?? "";
                IReadOnlyList<SentencePieceToken> tokens = tokenizer.Encode(text);
                string detail = Difference(tokens, expectedIds, expectedPieces);
                if (detail.Length == 0)
                {
                    string decoded = tokenizer.Decode(expectedIds);
                    detail = decoded == expectedDecoded ? "" : $"decoded {Quote(decoded)}, expected {Quote(expectedDecoded)}";
                }
                double mismatch = detail.Length == 0 ? 0 : 1;
                checks.Add(new TensorCheck($"{model.Name}[{index++}] {Quote(Shorten(text))}", mismatch, mismatch, 0, detail));
            }
        }
        return checks;
    }

    private static string Difference(IReadOnlyList<SentencePieceToken> tokens, int[] ids, string[] pieces)
    {
        for (int i = 0; i < Math.Max(tokens.Count, ids.Length); i++)
        {
            if (i >= tokens.Count || i >= ids.Length)
            {
                return $"{tokens.Count} ids, expected {ids.Length} (first extra at position {i})";
            }
            if (tokens[i].Id != ids[i])
            {
                return $"id at position {i} is {tokens[i].Id} ({Quote(tokens[i].Piece)}), expected {ids[i]} ({Quote(pieces.ElementAtOrDefault(i))})";
            }
            if (i < pieces.Length && tokens[i].Piece != pieces[i])
            {
                return $"piece at position {i} is {Quote(tokens[i].Piece)}, expected {Quote(pieces[i])}";
            }
        }
        return "";
    }

    private static string Shorten(string text)
    {
        if (text.Length <= 24)
        {
            return text;
        }
        int cut = char.IsHighSurrogate(text[23]) ? 23 : 24;
        return text[..cut] + "…";
    }

    /// <summary>The text in double quotes, control characters escaped (\t, \n, \r, \uXXXX), everything else as it is.</summary>
    private static string Quote(string? text)
    {
        var quoted = new System.Text.StringBuilder("\"");
        foreach (char c in text ?? "")
        {
            quoted.Append(c switch
            {
                '\t' => "\\t",
                '\n' => "\\n",
                '\r' => "\\r",
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }
}
