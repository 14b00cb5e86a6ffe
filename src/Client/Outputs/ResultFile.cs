using System.Buffers.Binary;
using System.Text.Json;

namespace Loom.Client.Outputs;

/// <summary>
/// A job's result as the server sends it: a safetensors file (8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw data) holding <c>video</c> uint8 <c>[F, H, W, 3]</c> and
/// <c>latent</c> float32, with the spec in <c>__metadata__</c>. Only what the CLI writes out is read here: the header's
/// byte ranges, checked against the file, and the video's bytes.
/// </summary>
internal sealed class ResultFile
{
    private readonly byte[] _bytes;
    private readonly int _dataStart;
    private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> _tensors;

    private ResultFile(byte[] bytes, int dataStart, Dictionary<string, (string, long[], long, long)> tensors)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        _tensors = tensors;
    }

    /// <summary>The file as received.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Parses <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a well-formed safetensors file; the message says what is wrong.</exception>
    public static ResultFile Parse(byte[] bytes)
    {
        ulong length = bytes.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : ulong.MaxValue;
        if (length > (ulong)bytes.Length - 8)
        {
            throw new InvalidDataException($"result: {bytes.Length} bytes, too short for a safetensors header of {(bytes.Length >= 8 ? length : 8)} bytes.");
        }
        int dataStart = 8 + (int)length;
        long dataLength = bytes.Length - dataStart;
        var tensors = new Dictionary<string, (string, long[], long, long)>(StringComparer.Ordinal);
        try
        {
            using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)length));
            foreach (JsonProperty entry in header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
            {
                long[] range = [.. entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64())];
                if (range is not [long begin, long end] || begin < 0 || end < begin || end > dataLength)
                {
                    throw new InvalidDataException($"result: tensor '{entry.Name}' has data_offsets [{string.Join(", ", range)}] outside the {dataLength} data bytes.");
                }
                string dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
                tensors[entry.Name] = (dtype, [.. entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())], begin, end);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"result: bad safetensors header ({e.Message}).", e);
        }
        return new ResultFile(bytes, dataStart, tensors);
    }

    /// <summary>The decoded frames: tensor <c>video</c>, uint8 <c>[F, H, W, 3]</c>.</summary>
    public FrameVideo Video()
    {
        if (!_tensors.TryGetValue("video", out var t))
        {
            throw new InvalidDataException("result: no 'video' tensor.");
        }
        if (t.DType != "U8" || t.Shape.Length != 4 || t.Shape[3] != 3 || t.Shape.Any(d => d < 0) || t.End - t.Begin != t.Shape.Aggregate(1L, (a, d) => a * d))
        {
            throw new InvalidDataException($"result: 'video' is {t.DType}[{string.Join(",", t.Shape)}] in {t.End - t.Begin} bytes, expected U8[F,H,W,3] in F*H*W*3 bytes.");
        }
        byte[] rgb = _bytes.AsSpan(_dataStart + (int)t.Begin, (int)(t.End - t.Begin)).ToArray();
        return new FrameVideo((int)t.Shape[0], (int)t.Shape[1], (int)t.Shape[2], rgb);
    }
}
