using Loom.Models.Weights;

namespace Loom.Client.Outputs;

/// <summary>
/// A job's result as the server sends it: a safetensors file (8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw data) holding <c>video</c> uint8 <c>[F, H, W, 3]</c> and
/// <c>latent</c> float32, with the spec in <c>__metadata__</c>.
/// </summary>
internal sealed class ResultFile
{
    private readonly byte[] _bytes;
    private readonly SafeTensorsHeader _header;

    private ResultFile(byte[] bytes, SafeTensorsHeader header)
    {
        _bytes = bytes;
        _header = header;
    }

    /// <summary>The file's <c>__metadata__</c> (string to string, as safetensors allows).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>The file as received.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Tensor names, dtypes and shapes.</summary>
    public IEnumerable<(string Name, string DType, long[] Shape)> Tensors => _header.Tensors.Select(t => (t.Key, t.Value.DType, t.Value.Shape));

    /// <summary>Parses <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a well-formed safetensors file.</exception>
    public static ResultFile Parse(byte[] bytes) => new(bytes, SafeTensorsHeader.Parse(bytes, "result"));

    /// <summary>The decoded frames: tensor <c>video</c>, uint8 <c>[F, H, W, 3]</c>.</summary>
    public FrameVideo Video()
    {
        if (!_header.Tensors.TryGetValue("video", out var t))
        {
            throw new InvalidDataException("result: no 'video' tensor.");
        }
        if (t.DType != "U8" || t.Shape.Length != 4 || t.Shape[3] != 3)
        {
            throw new InvalidDataException($"result: 'video' is {t.DType}[{string.Join(",", t.Shape)}], expected U8[F,H,W,3].");
        }
        byte[] rgb = _bytes.AsSpan((int)(_header.DataStart + t.Begin), (int)(t.End - t.Begin)).ToArray();
        return new FrameVideo((int)t.Shape[0], (int)t.Shape[1], (int)t.Shape[2], rgb);
    }
}
