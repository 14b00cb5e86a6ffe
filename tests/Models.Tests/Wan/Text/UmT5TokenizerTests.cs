using System.Text.Json;
using System.Text.Json.Nodes;
using Loom.Models.Wan.Text;

namespace Loom.Models.Tests.Wan.Text;

public sealed class UmT5TokenizerTests
{
    private static readonly string NfkcModel = WanFixtureFiles.Path("tokenizer_unigram_nfkc.model");

    [Fact]
    public void PromptIsCleanedEosAppendedAndPaddedToTheTextLength()
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(NfkcModel, textLength: 32);
        int[] plain = tokenizer.SentencePiece.EncodeIds("A cat walks on the grass, realistic style.");

        TokenizedPrompt prompt = tokenizer.Tokenize("  A cat\twalks   on the grass,\n realistic style.  ");

        Assert.Equal("A cat walks on the grass, realistic style.", prompt.Text);
        Assert.Equal(plain.Length + 1, prompt.Length);
        Assert.Equal([.. plain, 1, .. Enumerable.Repeat(0, 32 - plain.Length - 1)], prompt.Ids);
        Assert.Null(prompt.Warning);
        Assert.False(prompt.Truncated);
    }

    [Fact]
    public void LongPromptIsCutKeepingEosAndSaysSo()
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(NfkcModel, textLength: 16);

        TokenizedPrompt prompt = tokenizer.Tokenize(string.Join(' ', Enumerable.Repeat("the cat walks", 10)));

        Assert.Equal(16, prompt.Length);
        Assert.Equal(1, prompt.Ids[15]);
        Assert.True(prompt.Truncated);
        Assert.True(prompt.FullLength > 16);
        Assert.Contains("cut to 16 tokens", prompt.Warning);
    }

    [Fact]
    public void LiteralSpecialTokensBecomeTheirIdsAsHuggingFaceDoes()
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(NfkcModel, textLength: 64);
        int[] literal = tokenizer.SentencePiece.EncodeIds("</s> literal eos text <pad> <unk>");

        List<int> special = tokenizer.EncodeWithSpecialTokens("</s> literal eos text <pad> <unk>");

        Assert.Equal(1, special[0]);
        Assert.Equal([1, .. tokenizer.SentencePiece.EncodeIds(" literal eos text "), 0, 2], special);
        Assert.NotEqual(literal, special.ToArray());
    }

    [Fact]
    public void CleaningUnescapesHtmlTwiceAndCollapsesPythonWhitespace()
    {
        Assert.Equal("a&b c", WanPromptCleaner.Clean("  a&amp;amp;b \t\n\u00A0 c\u3000 "));
        Assert.Equal("\"quoted\" it's fine", WanPromptCleaner.Clean("\u201Cquoted\u201D it\u2019s \u001Cfine"));
        Assert.Equal("fi ABC", WanPromptCleaner.Clean("\uFB01 \uFF21\uFF22\uFF23"));
        Assert.Equal("e\u0301".Normalize(System.Text.NormalizationForm.FormC), WanPromptCleaner.Clean("e\u0301"));
        Assert.Equal("zero\u200Bwidth", WanPromptCleaner.Clean("zero\u200Bwidth"));
    }

    [Fact]
    public void LoadsFromOfficialAndDiffusersLayoutsAndFromTokenizerJson()
    {
        string root = Directory.CreateTempSubdirectory("loom-umt5-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "official", "google", "umt5-xxl"));
            File.Copy(NfkcModel, Path.Combine(root, "official", "google", "umt5-xxl", "spiece.model"));
            Directory.CreateDirectory(Path.Combine(root, "diffusers", "tokenizer"));
            File.Copy(NfkcModel, Path.Combine(root, "diffusers", "tokenizer", "spiece.model"));
            Directory.CreateDirectory(Path.Combine(root, "json"));
            File.WriteAllText(Path.Combine(root, "json", "tokenizer.json"), TokenizerJson(SentencePieceModel.Load(NfkcModel)));
            string prompt = "Ünïcödé àccents, ＦＵＬＬ width ﬁ ① and 一只猫 🐱 in the grass";
            int[] expected = UmT5Tokenizer.Load(NfkcModel).Tokenize(prompt).Ids;

            foreach (string layout in new[] { "official", "diffusers", "json" })
            {
                Assert.Equal(expected, UmT5Tokenizer.Load(Path.Combine(root, layout)).Tokenize(prompt).Ids);
            }
            Assert.Throws<FileNotFoundException>(() => UmT5Tokenizer.Load(Path.Combine(root, "official", "google")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A tokenizer.json as Hugging Face writes it for a T5 SentencePiece model.</summary>
    private static string TokenizerJson(SentencePieceModel model)
    {
        var vocab = new JsonArray(model.Pieces.Select(p => (JsonNode)new JsonArray(p.Piece, (double)p.Score)).ToArray());
        var added = new JsonArray(model.Pieces.Select((p, i) => (p, i))
            .Where(x => x.p.Type is SentencePieceType.Control or SentencePieceType.Unknown)
            .Select(x => (JsonNode)new JsonObject { ["id"] = x.i, ["content"] = x.p.Piece, ["special"] = true }).ToArray());
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = Convert.ToBase64String(model.PrecompiledCharsMap) },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " }),
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always" },
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = model.UnkId, ["vocab"] = vocab, ["byte_fallback"] = false },
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
