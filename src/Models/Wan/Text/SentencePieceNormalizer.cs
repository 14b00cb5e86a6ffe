using System.Buffers.Binary;
using System.Text;

namespace Loom.Models.Wan.Text;

/// <summary>
/// SentencePiece's text normaliser: the model's precompiled character map (for <c>nmt_nfkc</c>: NFKC plus the NMT
/// rules — control characters dropped, tabs/newlines/odd spaces to a space — compiled into a double-array trie of
/// UTF-8 prefixes and a blob of NUL-terminated replacements; longest prefix wins), then whitespace handling: leading,
/// trailing and repeated spaces removed, a dummy U+2581 prefix, spaces escaped as U+2581. With an empty map
/// (<c>identity</c>) only the whitespace handling applies, and only the ASCII space counts as whitespace.
/// </summary>
public sealed class SentencePieceNormalizer
{
    private const string SpaceSymbol = "\u2581";
    private static readonly byte[] SpaceSymbolBytes = Encoding.UTF8.GetBytes(SpaceSymbol);
    private readonly uint[] _trie;
    private readonly byte[] _replacements;
    private readonly bool _addDummyPrefix;
    private readonly bool _removeExtraWhitespaces;
    private readonly bool _escapeWhitespaces;

    /// <summary>Builds the normaliser of <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The precompiled map is malformed.</exception>
    public SentencePieceNormalizer(SentencePieceModel model)
    {
        _addDummyPrefix = model.AddDummyPrefix;
        _removeExtraWhitespaces = model.RemoveExtraWhitespaces;
        _escapeWhitespaces = model.EscapeWhitespaces;
        byte[] map = model.PrecompiledCharsMap;
        if (map.Length == 0)
        {
            _trie = [];
            _replacements = [];
            return;
        }
        if (map.Length < 4)
        {
            throw new InvalidDataException("precompiled_charsmap shorter than its 4-byte header");
        }
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(map);
        if (trieBytes % 4 != 0 || trieBytes > map.Length - 4)
        {
            throw new InvalidDataException($"precompiled_charsmap: trie size {trieBytes} does not fit the {map.Length}-byte map");
        }
        _trie = new uint[trieBytes / 4];
        for (int i = 0; i < _trie.Length; i++)
        {
            _trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(map.AsSpan(4 + i * 4));
        }
        _replacements = map[(4 + (int)trieBytes)..];
    }

    /// <summary>Normalises <paramref name="text"/>; the result has spaces as U+2581 when the model escapes them.</summary>
    public string Normalize(string text)
    {
        byte[] input = Encoding.UTF8.GetBytes(text);
        var output = new List<byte>(input.Length + 3);
        int position = 0;
        if (_removeExtraWhitespaces)
        {
            while (position < input.Length)
            {
                var (replacement, consumed) = NormalizePrefix(input, position);
                if (!replacement.SequenceEqual(" "u8))
                {
                    break;
                }
                position += consumed;
            }
        }
        if (position >= input.Length)
        {
            return "";
        }
        if (_addDummyPrefix)
        {
            AppendSpace(output);
        }
        bool previousSpace = _removeExtraWhitespaces;
        while (position < input.Length)
        {
            var (replacement, consumed) = NormalizePrefix(input, position);
            ReadOnlySpan<byte> piece = replacement;
            while (previousSpace && piece.Length > 0 && piece[0] == (byte)' ')
            {
                piece = piece[1..];
            }
            if (piece.Length > 0)
            {
                foreach (byte b in piece)
                {
                    if (_escapeWhitespaces && b == (byte)' ')
                    {
                        output.AddRange(SpaceSymbolBytes);
                    }
                    else
                    {
                        output.Add(b);
                    }
                }
                previousSpace = piece[^1] == (byte)' ';
            }
            position += consumed;
            if (!_removeExtraWhitespaces)
            {
                previousSpace = false;
            }
        }
        if (_removeExtraWhitespaces)
        {
            byte[] space = _escapeWhitespaces ? SpaceSymbolBytes : [(byte)' '];
            while (output.Count >= space.Length && output.Skip(output.Count - space.Length).SequenceEqual(space))
            {
                output.RemoveRange(output.Count - space.Length, space.Length);
            }
        }
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private void AppendSpace(List<byte> output)
    {
        if (_escapeWhitespaces)
        {
            output.AddRange(SpaceSymbolBytes);
        }
        else
        {
            output.Add((byte)' ');
        }
    }

    /// <summary>The replacement of the longest rule matching at <paramref name="position"/>, or the one UTF-8 character there.</summary>
    private (byte[] Replacement, int Consumed) NormalizePrefix(byte[] input, int position)
    {
        int longestLength = 0;
        int longestValue = 0;
        if (_trie.Length > 0)
        {
            // darts-clone double array: unit bits 0-7 label, 8 has-leaf, 9 offset shift flag, 10-31 offset; value = low 31 bits.
            uint nodePosition = Offset(_trie[0]);
            for (int i = position; i < input.Length; i++)
            {
                byte label = input[i];
                nodePosition ^= label;
                if (nodePosition >= _trie.Length)
                {
                    break;
                }
                uint unit = _trie[nodePosition];
                if ((unit & ((1u << 31) | 0xFF)) != label)
                {
                    break;
                }
                nodePosition ^= Offset(unit);
                if (((unit >> 8) & 1) != 0 && nodePosition < _trie.Length)
                {
                    longestLength = i - position + 1;
                    longestValue = (int)(_trie[nodePosition] & 0x7FFFFFFF);
                }
            }
        }
        if (longestLength > 0)
        {
            int end = Array.IndexOf(_replacements, (byte)0, longestValue);
            if (longestValue >= _replacements.Length || end < 0)
            {
                throw new InvalidDataException($"precompiled_charsmap: replacement offset {longestValue} outside the {_replacements.Length}-byte blob");
            }
            return (_replacements[longestValue..end], longestLength);
        }
        int length = Utf8Length(input[position]);
        if (length == 0 || position + length > input.Length)
        {
            return ("\uFFFD"u8.ToArray(), 1);
        }
        return (input[position..(position + length)], length);
    }

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private static int Utf8Length(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xC2 and < 0xE0 => 2,
        >= 0xE0 and < 0xF0 => 3,
        >= 0xF0 and < 0xF5 => 4,
        _ => 0,
    };
}
