using System.Globalization;
using System.Text;

namespace Loom.Models.Wan.Text;

/// <summary>
/// SentencePiece's Unigram segmentation, as <c>SentencePieceProcessor.encode</c> / <c>decode</c> do it without sampling:
/// normalise, then the Viterbi path maximising the sum of piece scores (float32 sums; a character no piece starts with
/// costs min score - 10 as the unknown id), runs of unknown characters merged into one unknown token — or, with byte
/// fallback, spelled as their UTF-8 byte pieces. No bos/eos is added here (<see cref="UmT5Tokenizer"/> does that).
/// </summary>
public sealed class UnigramTokenizer
{
    private const float UnknownPenalty = 10f;
    private readonly Dictionary<string, int> _pieceIds = new(StringComparer.Ordinal);
    private readonly int[] _byteIds = Enumerable.Repeat(-1, 256).ToArray();
    private readonly int _maxPieceChars;
    private readonly float _unknownScore;
    private readonly float _maxScore;

    /// <summary>Builds the tokenizer of <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">Not a Unigram model, or its unknown id is not an unknown piece.</exception>
    public UnigramTokenizer(SentencePieceModel model)
    {
        if (model.ModelType != 1)
        {
            throw new InvalidDataException($"SentencePiece model_type {model.ModelType} is not Unigram (1).");
        }
        if (model.UnkId < 0 || model.UnkId >= model.Pieces.Count || model.Pieces[model.UnkId].Type != SentencePieceType.Unknown)
        {
            throw new InvalidDataException($"SentencePiece unk_id {model.UnkId} does not name the unknown piece.");
        }
        Model = model;
        Normalizer = new SentencePieceNormalizer(model);
        float minScore = float.MaxValue;
        _maxScore = float.MinValue;
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            SentencePiece piece = model.Pieces[id];
            switch (piece.Type)
            {
                case SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused:
                    _pieceIds.TryAdd(piece.Piece, id);
                    _maxPieceChars = Math.Max(_maxPieceChars, CodePoints(piece.Piece));
                    break;
                case SentencePieceType.Byte when TryParseByte(piece.Piece, out byte value):
                    _byteIds[value] = id;
                    break;
            }
            if (piece.Type == SentencePieceType.Normal)
            {
                minScore = Math.Min(minScore, piece.Score);
                _maxScore = Math.Max(_maxScore, piece.Score);
            }
        }
        _unknownScore = minScore - UnknownPenalty;
    }

    /// <summary>The model.</summary>
    public SentencePieceModel Model { get; }

    /// <summary>The model's normaliser.</summary>
    public SentencePieceNormalizer Normalizer { get; }

    /// <summary>Number of pieces (the embedding rows a matching encoder needs at least).</summary>
    public int VocabularySize => Model.Pieces.Count;

    /// <summary>The ids of <paramref name="text"/>.</summary>
    public int[] EncodeIds(string text) => Encode(text).Select(t => t.Id).ToArray();

    /// <summary>Normalises and segments <paramref name="text"/>.</summary>
    public IReadOnlyList<SentencePieceToken> Encode(string text)
    {
        string normalized = Normalizer.Normalize(text);
        var tokens = new List<SentencePieceToken>();
        foreach (var (start, length, id) in Viterbi(normalized))
        {
            string surface = normalized.Substring(start, length);
            bool unknown = id == Model.UnkId;
            if (unknown && Model.ByteFallback)
            {
                foreach (byte b in Encoding.UTF8.GetBytes(surface))
                {
                    int byteId = _byteIds[b];
                    tokens.Add(byteId >= 0 ? new SentencePieceToken(byteId, Model.Pieces[byteId].Piece) : new SentencePieceToken(Model.UnkId, surface));
                }
            }
            else if (unknown && tokens.Count > 0 && tokens[^1].Id == Model.UnkId)
            {
                tokens[^1] = tokens[^1] with { Piece = tokens[^1].Piece + surface };
            }
            else
            {
                tokens.Add(new SentencePieceToken(id, unknown ? surface : Model.Pieces[id].Piece));
            }
        }
        return tokens;
    }

    /// <summary>
    /// The text of <paramref name="ids"/>: U+2581 back to spaces, the dummy-prefix space dropped, control ids to nothing,
    /// the unknown id to the model's unknown surface, runs of byte pieces decoded as UTF-8 (each invalid byte to U+FFFD).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool isBosWhitespace = true;
        bool bosWhitespaceSeen = false;
        foreach (int id in ids)
        {
            if (id < 0 || id >= Model.Pieces.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary of {Model.Pieces.Count} pieces.");
            }
            SentencePiece piece = Model.Pieces[id];
            if (piece.Type == SentencePieceType.Byte && TryParseByte(piece.Piece, out byte value))
            {
                bytes.Add(value);
                continue;
            }
            FlushBytes(bytes, text);
            if (bosWhitespaceSeen || text.Length > 0)
            {
                isBosWhitespace = false;
            }
            bosWhitespaceSeen = false;
            switch (piece.Type)
            {
                case SentencePieceType.Control:
                    break;
                case SentencePieceType.Unknown:
                    text.Append(Model.UnkSurface);
                    break;
                default:
                    string surface = piece.Piece;
                    if (isBosWhitespace && (Model.AddDummyPrefix || Model.RemoveExtraWhitespaces) && surface.StartsWith('\u2581'))
                    {
                        surface = surface[1..];
                        bosWhitespaceSeen = true;
                    }
                    text.Append(surface.Replace('\u2581', ' '));
                    break;
            }
        }
        FlushBytes(bytes, text);
        return text.ToString();
    }

    /// <summary>The best segmentation as (start, length, id) spans of <paramref name="normalized"/> (UTF-16 offsets).</summary>
    private List<(int Start, int Length, int Id)> Viterbi(string normalized)
    {
        int n = normalized.Length;
        var bestScore = new float[n + 1];
        var bestStart = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(bestStart, -1);
        bestStart[0] = 0;
        for (int start = 0; start < n; start = NextCharacter(normalized, start))
        {
            if (bestStart[start] < 0)
            {
                continue;
            }
            float scoreHere = bestScore[start];
            int firstEnd = NextCharacter(normalized, start);
            bool singleCharacterPiece = false;
            int end = start;
            for (int chars = 0; chars < _maxPieceChars && end < n; chars++)
            {
                end = NextCharacter(normalized, end);
                if (!_pieceIds.TryGetValue(normalized.Substring(start, end - start), out int id))
                {
                    continue;
                }
                SentencePiece piece = Model.Pieces[id];
                if (piece.Type == SentencePieceType.Unused)
                {
                    continue;
                }
                float score = piece.Type == SentencePieceType.UserDefined ? CodePoints(piece.Piece) * _maxScore - 0.1f : piece.Score;
                Relax(end, scoreHere + score, start, id);
                singleCharacterPiece |= end == firstEnd;
            }
            if (!singleCharacterPiece)
            {
                Relax(firstEnd, scoreHere + _unknownScore, start, Model.UnkId);
            }
        }
        var path = new List<(int, int, int)>();
        for (int end = n; end > 0; end = bestStart[end])
        {
            path.Add((bestStart[end], end - bestStart[end], bestId[end]));
        }
        path.Reverse();
        return path;

        void Relax(int end, float candidate, int start, int id)
        {
            if (bestStart[end] < 0 || candidate > bestScore[end])
            {
                bestScore[end] = candidate;
                bestStart[end] = start;
                bestId[end] = id;
            }
        }
    }

    private static int NextCharacter(string text, int index) =>
        index + (char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1);

    private static int CodePoints(string text)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i = NextCharacter(text, i))
        {
            count++;
        }
        return count;
    }

    private static bool TryParseByte(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }

    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        var span = bytes.ToArray().AsSpan();
        while (span.Length > 0)
        {
            if (System.Text.Rune.DecodeFromUtf8(span, out System.Text.Rune rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                span = span[consumed..];
            }
            else
            {
                text.Append('\uFFFD');
                span = span[1..];
            }
        }
        bytes.Clear();
    }
}
