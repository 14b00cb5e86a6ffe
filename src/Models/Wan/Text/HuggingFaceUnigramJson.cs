using System.Text.Json;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is Unigram (what <c>T5TokenizerFast</c> saves when a repository
/// has no <c>spiece.model</c>) into a <see cref="SentencePieceModel"/>: the vocabulary with scores, <c>unk_id</c>,
/// <c>byte_fallback</c>, special added tokens as control pieces, the <c>Precompiled</c> normaliser's charsmap and the
/// Metaspace dummy prefix. The segmentation is then SentencePiece's; HF's own pipeline (split on whitespace first)
/// gives the same pieces for these models, whose pieces never hold an inner U+2581.
/// </summary>
public static class HuggingFaceUnigramJson
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a Unigram tokenizer.json; the message names the file and the field.</exception>
    public static SentencePieceModel Load(string path)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = json.RootElement;
        if (!root.TryGetProperty("model", out JsonElement model) || model.GetProperty("type").GetString() != "Unigram")
        {
            throw new InvalidDataException($"{path}: 'model.type' is not Unigram.");
        }
        bool byteFallback = model.TryGetProperty("byte_fallback", out JsonElement bf) && bf.ValueKind == JsonValueKind.True;
        int unkId = model.TryGetProperty("unk_id", out JsonElement unk) && unk.ValueKind == JsonValueKind.Number ? unk.GetInt32()
            : throw new InvalidDataException($"{path}: 'model.unk_id' is missing.");
        var special = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out JsonElement added))
        {
            foreach (JsonElement token in added.EnumerateArray().Where(t => t.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True))
            {
                special.Add(token.GetProperty("id").GetInt32());
            }
        }
        var pieces = new List<SentencePiece>();
        foreach (JsonElement entry in model.GetProperty("vocab").EnumerateArray())
        {
            string piece = entry[0].GetString() ?? "";
            float score = (float)entry[1].GetDouble();
            int id = pieces.Count;
            SentencePieceType type = id == unkId ? SentencePieceType.Unknown
                : special.Contains(id) ? SentencePieceType.Control
                : byteFallback && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>') ? SentencePieceType.Byte
                : SentencePieceType.Normal;
            pieces.Add(new SentencePiece(piece, score, type));
        }
        int IdOf(string piece) => pieces.FindIndex(p => p.Piece == piece && p.Type == SentencePieceType.Control);
        byte[] charsMap = FindPrecompiled(root.TryGetProperty("normalizer", out JsonElement n) ? n : default) ?? [];
        bool dummyPrefix = true;
        if (root.TryGetProperty("pre_tokenizer", out JsonElement pre) && pre.ValueKind == JsonValueKind.Object)
        {
            JsonElement metaspace = FindByType(pre, "Metaspace") ?? default;
            if (metaspace.ValueKind == JsonValueKind.Object)
            {
                dummyPrefix = metaspace.TryGetProperty("prepend_scheme", out JsonElement scheme) ? scheme.GetString() != "never"
                    : !metaspace.TryGetProperty("add_prefix_space", out JsonElement aps) || aps.ValueKind == JsonValueKind.True;
            }
        }
        return new SentencePieceModel
        {
            Pieces = pieces, UnkId = unkId, BosId = -1, EosId = IdOf("</s>"), PadId = IdOf("<pad>"), ByteFallback = byteFallback,
            NormalizerName = charsMap.Length > 0 ? "precompiled" : "identity", PrecompiledCharsMap = charsMap, AddDummyPrefix = dummyPrefix,
        };
    }

    private static byte[]? FindPrecompiled(JsonElement normalizer) =>
        FindByType(normalizer, "Precompiled") is { } p && p.TryGetProperty("precompiled_charsmap", out JsonElement map) && map.ValueKind == JsonValueKind.String
            ? Convert.FromBase64String(map.GetString() ?? "")
            : null;

    private static JsonElement? FindByType(JsonElement element, string type)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (element.TryGetProperty("type", out JsonElement t) && t.GetString() == type)
        {
            return element;
        }
        foreach (string list in new[] { "normalizers", "pretokenizers" })
        {
            if (element.TryGetProperty(list, out JsonElement items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in items.EnumerateArray())
                {
                    if (FindByType(item, type) is { } found)
                    {
                        return found;
                    }
                }
            }
        }
        return null;
    }
}
