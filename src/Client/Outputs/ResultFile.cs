using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Loom.Client.Outputs;

/// <summary>
/// A job's result as the server sends it: a safetensors file (8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw data) holding <c>video</c> uint8 <c>[F, H, W, 3]</c> and
/// <c>latent</c> float32, with the spec in <c>__metadata__</c>.
/// </summary>
internal sealed class ResultFile
{
    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> _tensors;

    private ResultFile(byte[] bytes, long dataStart, Dictionary<string, (string, long[], long, long)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's <c>__metadata__</c> (string to string, as safetensors allows).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file as received.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Tensor names, dtypes and shapes.</summary>
    public IEnumerable<(string Name, string DType, long[] Shape)> Tensors => _tensors.Select(t => (t.Key, t.Value.DType, t.Value.Shape));

    /// <summary>Parses <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a well-formed safetensors file.</exception>
    public static ResultFile Parse(byte[] bytes)
    {
        if (bytes.Length < 8)
        {
            throw new InvalidDataException("result: shorter than a safetensors header.");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException($"result: header of {headerLength} bytes does not fit in {bytes.Length}.");
        }
        long dataStart = 8 + (long)headerLength;
        var tensors = new Dictionary<string, (string, long[], long, long)>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
            foreach (JsonProperty p in header.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (JsonProperty m in p.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.ToString();
                    }
                    continue;
                }
                string dtype = p.Value.GetProperty("dtype").GetString() ?? "";
                long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] range = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (range.Length != 2 || range[0] < 0 || range[1] < range[0] || dataStart + range[1] > bytes.Length)
                {
                    throw new InvalidDataException($"result: tensor '{p.Name}' lies outside the file.");
                }
                long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
                if (expected != range[1] - range[0])
                {
                    throw new InvalidDataException($"result: tensor '{p.Name}' {dtype}[{string.Join(",", shape)}] needs {expected} bytes, has {range[1] - range[0]}.");
                }
                tensors[p.Name] = (dtype, shape, range[0], range[1]);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"result: bad safetensors header ({e.Message}).", e);
        }
        return new ResultFile(bytes, dataStart, tensors, metadata);
    }

    /// <summary>The decoded frames: tensor <c>video</c>, uint8 <c>[F, H, W, 3]</c>.</summary>
    public FrameVideo Video()
    {
        if (!_tensors.TryGetValue("video", out var t))
        {
            throw new InvalidDataException("result: no 'video' tensor.");
        }
        if (t.DType != "U8" || t.Shape.Length != 4 || t.Shape[3] != 3)
        {
            throw new InvalidDataException($"result: 'video' is {t.DType}[{string.Join(",", t.Shape)}], expected U8[F,H,W,3].");
        }
        byte[] rgb = _bytes.AsSpan((int)(_dataStart + t.Begin), (int)(t.End - t.Begin)).ToArray();
        return new FrameVideo((int)t.Shape[0], (int)t.Shape[1], (int)t.Shape[2], rgb);
    }

    private static long ElementSize(string dtype) => dtype switch
    {
        "U8" or "I8" or "BOOL" => 1,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F32" or "I32" or "U32" => 4,
        "F64" or "I64" or "U64" => 8,
        _ => throw new InvalidDataException($"result: unknown dtype {dtype}."),
    };
}
