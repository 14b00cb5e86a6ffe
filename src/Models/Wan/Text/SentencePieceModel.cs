using System.Text;

namespace Loom.Models.Wan.Text;

/// <summary>
/// The parts of a SentencePiece <c>.model</c> file (a serialized <c>ModelProto</c>) that encoding and decoding need:
/// the pieces, the special ids and byte fallback of the trainer spec, and the normaliser spec. The protobuf wire format
/// is read directly (no generated code); unknown fields are skipped.
/// </summary>
public sealed class SentencePieceModel
{
    /// <summary>The vocabulary, indexed by id.</summary>
    public required IReadOnlyList<SentencePiece> Pieces { get; init; }

    /// <summary><c>trainer_spec.model_type</c>: 1 unigram, 2 BPE, 3 word, 4 char.</summary>
    public int ModelType { get; init; } = 1;

    /// <summary>The unknown id (<c>trainer_spec.unk_id</c>).</summary>
    public int UnkId { get; init; }

    /// <summary>The begin-of-sentence id, -1 when absent (UMT5).</summary>
    public int BosId { get; init; } = 1;

    /// <summary>The end-of-sentence id (UMT5: 1).</summary>
    public int EosId { get; init; } = 2;

    /// <summary>The padding id, -1 when absent (UMT5: 0).</summary>
    public int PadId { get; init; } = -1;

    /// <summary>Unknown characters become their UTF-8 bytes (<c>&lt;0xNN&gt;</c> pieces) instead of the unknown id.</summary>
    public bool ByteFallback { get; init; }

    /// <summary>What an unknown id decodes to (<c>trainer_spec.unk_surface</c>, default " ⁇ ").</summary>
    public string UnkSurface { get; init; } = " \u2047 ";

    /// <summary><c>normalizer_spec.name</c> (<c>nmt_nfkc</c>, <c>identity</c>, ...).</summary>
    public string NormalizerName { get; init; } = "";

    /// <summary><c>normalizer_spec.precompiled_charsmap</c>: the compiled normalisation rules, empty for identity.</summary>
    public byte[] PrecompiledCharsMap { get; init; } = [];

    /// <summary>A U+2581 is put in front of the text.</summary>
    public bool AddDummyPrefix { get; init; } = true;

    /// <summary>Leading, trailing and repeated spaces are removed.</summary>
    public bool RemoveExtraWhitespaces { get; init; } = true;

    /// <summary>Spaces become U+2581.</summary>
    public bool EscapeWhitespaces { get; init; } = true;

    /// <summary>
    /// Hex SHA-256 of what segmentation depends on: every piece (text, score, kind), the special ids, byte fallback and the
    /// normaliser (rules and whitespace flags). The same for a <c>spiece.model</c> and the <c>tokenizer.json</c> made from it
    /// only where both carry the same values.
    /// </summary>
    public string ContentSha256 => _contentSha256 ??= ComputeContentSha256();

    private string? _contentSha256;

    /// <summary>Reads a <c>.model</c> file.</summary>
    /// <exception cref="InvalidDataException">Not a SentencePiece model; the message names the file.</exception>
    public static SentencePieceModel Load(string path)
    {
        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a readable SentencePiece model ({e.Message}).", e);
        }
    }

    /// <summary>Parses a serialized <c>ModelProto</c>.</summary>
    /// <exception cref="InvalidDataException">Malformed protobuf, or no pieces.</exception>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> data)
    {
        var pieces = new List<SentencePiece>();
        ReadOnlySpan<byte> trainer = default;
        ReadOnlySpan<byte> normalizer = default;
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2):
                    pieces.Add(ParsePiece(reader.Bytes()));
                    break;
                case (2, 2):
                    trainer = reader.Bytes();
                    break;
                case (3, 2):
                    normalizer = reader.Bytes();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0)
        {
            throw new InvalidDataException("the model has no pieces");
        }
        int modelType = 1, unk = 0, bos = 1, eos = 2, pad = -1;
        bool byteFallback = false;
        string unkSurface = " \u2047 ";
        var t = new ProtoReader(trainer);
        while (t.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (3, 0): modelType = (int)t.Varint(); break;
                case (35, 0): byteFallback = t.Varint() != 0; break;
                case (40, 0): unk = (int)t.Varint(); break;
                case (41, 0): bos = (int)t.Varint(); break;
                case (42, 0): eos = (int)t.Varint(); break;
                case (43, 0): pad = (int)t.Varint(); break;
                case (44, 2): unkSurface = Encoding.UTF8.GetString(t.Bytes()); break;
                default: t.Skip(wire); break;
            }
        }
        string name = "";
        byte[] charsMap = [];
        bool dummyPrefix = true, removeExtra = true, escape = true;
        var n = new ProtoReader(normalizer);
        while (n.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): name = Encoding.UTF8.GetString(n.Bytes()); break;
                case (2, 2): charsMap = n.Bytes().ToArray(); break;
                case (3, 0): dummyPrefix = n.Varint() != 0; break;
                case (4, 0): removeExtra = n.Varint() != 0; break;
                case (5, 0): escape = n.Varint() != 0; break;
                default: n.Skip(wire); break;
            }
        }
        return new SentencePieceModel
        {
            Pieces = pieces, ModelType = modelType, UnkId = unk, BosId = bos, EosId = eos, PadId = pad, ByteFallback = byteFallback,
            UnkSurface = unkSurface, NormalizerName = name, PrecompiledCharsMap = charsMap, AddDummyPrefix = dummyPrefix,
            RemoveExtraWhitespaces = removeExtra, EscapeWhitespaces = escape,
        };
    }

    private string ComputeContentSha256()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (SentencePiece piece in Pieces)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(piece.Piece));
            sha.AppendData([0, (byte)piece.Type]);
            sha.AppendData(BitConverter.GetBytes(piece.Score));
        }
        sha.AppendData(Encoding.UTF8.GetBytes($"|{ModelType}|{UnkId}|{BosId}|{EosId}|{PadId}|{ByteFallback}|{UnkSurface}|{AddDummyPrefix}|{RemoveExtraWhitespaces}|{EscapeWhitespaces}|"));
        sha.AppendData(PrecompiledCharsMap);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static SentencePiece ParsePiece(ReadOnlySpan<byte> data)
    {
        string piece = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): piece = Encoding.UTF8.GetString(reader.Bytes()); break;
                case (2, 5): score = reader.Float(); break;
                case (3, 0): type = (SentencePieceType)(int)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new SentencePiece(piece, score, type);
    }

    /// <summary>A forward-only reader of protobuf wire format.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_position >= _data.Length)
            {
                return false;
            }
            ulong key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw new InvalidDataException("truncated varint");
                }
                byte b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_data.Length - _position))
            {
                throw new InvalidDataException("length-delimited field runs past the end");
            }
            ReadOnlySpan<byte> bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            return bytes;
        }

        public float Float()
        {
            if (_position + 4 > _data.Length)
            {
                throw new InvalidDataException("truncated float");
            }
            float value = BitConverter.ToSingle(_data.Slice(_position, 4));
            _position += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire}");
            }
        }

        private void Advance(int count)
        {
            if (_position + count > _data.Length)
            {
                throw new InvalidDataException("truncated fixed-width field");
            }
            _position += count;
        }
    }
}
