using System.Text.RegularExpressions;

namespace Loom.Models.Wan.Text;

/// <summary>
/// UMT5's tokenizer as Wan calls Hugging Face's (<c>padding='max_length', truncation=True, max_length=text_len,
/// add_special_tokens=True</c>): the literal special tokens (the model's control and unknown pieces: <c>&lt;/s&gt;</c>,
/// <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>) are split out and become their ids, each text piece between them is segmented
/// by SentencePiece Unigram, at most text_len - 1 tokens are kept, eos (id 1) is appended and padding (id 0) fills up
/// to text_len. A cut prompt carries a warning.
/// </summary>
public sealed class UmT5Tokenizer
{
    /// <summary>Wan's text length.</summary>
    public const int DefaultTextLength = 512;

    private readonly Regex? _special;
    private readonly Dictionary<string, int> _specialIds;

    /// <summary>A tokenizer over <paramref name="sentencePiece"/> padding to <paramref name="textLength"/>.</summary>
    /// <exception cref="InvalidDataException">The model has no eos or pad id.</exception>
    public UmT5Tokenizer(UnigramTokenizer sentencePiece, int textLength = DefaultTextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(textLength, 1);
        SentencePieceModel model = sentencePiece.Model;
        if (model.EosId < 0 || model.PadId < 0)
        {
            throw new InvalidDataException($"UMT5 tokenizer: the model needs eos and pad ids (eos_id {model.EosId}, pad_id {model.PadId}).");
        }
        SentencePiece = sentencePiece;
        TextLength = textLength;
        _specialIds = Enumerable.Range(0, model.Pieces.Count)
            .Where(i => model.Pieces[i].Type is SentencePieceType.Control or SentencePieceType.Unknown && model.Pieces[i].Piece.Length > 0)
            .ToDictionary(i => model.Pieces[i].Piece, i => i, StringComparer.Ordinal);
        _special = _specialIds.Count == 0 ? null
            : new Regex(string.Join("|", _specialIds.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
    }

    /// <summary>The SentencePiece model underneath.</summary>
    public UnigramTokenizer SentencePiece { get; }

    /// <summary>Ids per prompt after padding (Wan: 512).</summary>
    public int TextLength { get; }

    /// <summary>
    /// Loads the tokenizer from what a user downloads: a <c>spiece.model</c> / <c>tokenizer.json</c> file, or a folder
    /// holding one — Diffusers' <c>tokenizer/</c>, an official Wan repository (<c>google/umt5-xxl/</c>) or any folder
    /// with <c>spiece.model</c> or <c>tokenizer.json</c> (SentencePiece preferred).
    /// </summary>
    /// <exception cref="FileNotFoundException">No tokenizer file there.</exception>
    public static UmT5Tokenizer Load(string path, int textLength = DefaultTextLength)
    {
        string file = FindFile(path);
        SentencePieceModel model = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? HuggingFaceUnigramJson.Load(file)
            : SentencePieceModel.Load(file);
        return new UmT5Tokenizer(new UnigramTokenizer(model), textLength);
    }

    /// <summary>Cleans (<see cref="WanPromptCleaner"/>, unless <paramref name="clean"/> is false) and tokenises one prompt.</summary>
    public TokenizedPrompt Tokenize(string prompt, bool clean = true)
    {
        string text = clean ? WanPromptCleaner.Clean(prompt) : prompt;
        List<int> tokens = EncodeWithSpecialTokens(text);
        int fullLength = tokens.Count + 1;
        int kept = Math.Min(tokens.Count, TextLength - 1);
        var ids = new int[TextLength];
        tokens.CopyTo(0, ids, 0, kept);
        ids[kept] = SentencePiece.Model.EosId;
        Array.Fill(ids, SentencePiece.Model.PadId, kept + 1, TextLength - kept - 1);
        string? warning = null;
        if (fullLength > TextLength)
        {
            string dropped = SentencePiece.Decode(tokens.Skip(kept));
            warning = $"prompt cut to {TextLength} tokens (it needs {fullLength}, eos included); dropped: \"{(dropped.Length > 80 ? dropped[..80] + "…" : dropped)}\"";
        }
        return new TokenizedPrompt(text, ids, kept + 1, fullLength, warning);
    }

    /// <summary>The ids of <paramref name="text"/> with literal special tokens as their ids; no eos, no padding.</summary>
    public List<int> EncodeWithSpecialTokens(string text)
    {
        var ids = new List<int>();
        int position = 0;
        if (_special is not null)
        {
            foreach (Match match in _special.Matches(text))
            {
                ids.AddRange(SentencePiece.EncodeIds(text[position..match.Index]));
                ids.Add(_specialIds[match.Value]);
                position = match.Index + match.Length;
            }
        }
        ids.AddRange(SentencePiece.EncodeIds(text[position..]));
        return ids;
    }

    private static string FindFile(string path)
    {
        if (File.Exists(path))
        {
            return path;
        }
        string[] candidates =
        [
            Path.Combine(path, "spiece.model"), Path.Combine(path, "tokenizer", "spiece.model"),
            Path.Combine(path, "google", "umt5-xxl", "spiece.model"), Path.Combine(path, "tokenizer.json"),
            Path.Combine(path, "tokenizer", "tokenizer.json"), Path.Combine(path, "google", "umt5-xxl", "tokenizer.json"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"UMT5 tokenizer: no spiece.model or tokenizer.json at '{path}' (looked in it, tokenizer/ and google/umt5-xxl/).", path);
    }
}
