using System.Buffers.Binary;
using System.Text.Json;

namespace Loom.Models.Weights;

/// <summary>
/// The header of a safetensors file, parsed and checked without touching the data: every tensor's dtype (safetensors'
/// own names, F32, U8, ...), shape and byte range, and the string metadata. No TorchSharp, so a client can read a
/// result file with it.
/// </summary>
/// <param name="DataStart">Offset of the first data byte (8 + header length).</param>
/// <param name="Tensors">Each tensor's dtype, shape and [Begin, End) range relative to <paramref name="DataStart"/>.</param>
/// <param name="Metadata">The <c>__metadata__</c> entries.</param>
public sealed record SafeTensorsHeader(
    long DataStart,
    IReadOnlyDictionary<string, (string DType, long[] Shape, long Begin, long End)> Tensors,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Parses the header of <paramref name="file"/>; <paramref name="source"/> starts every error message.</summary>
    /// <exception cref="InvalidDataException">Not well-formed safetensors: the message says what is wrong.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> file, string source) => Parse(file, file.Length, source);

    /// <summary>
    /// Parses a header from <paramref name="file"/>, which holds at least the file's first 8 + header-length bytes, of a
    /// file <paramref name="fileLength"/> bytes long (so a large file's data need not be read).
    /// </summary>
    /// <exception cref="InvalidDataException">Not well-formed safetensors: the message says what is wrong.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> file, long fileLength, string source)
    {
        if (file.Length < 8)
        {
            throw new InvalidDataException($"{source}: too short to be a safetensors file.");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8) || file.Length > fileLength)
        {
            throw new InvalidDataException($"{source}: header length {headerLength} runs past the end of the file.");
        }
        return ParseJson(file.Slice(8, (int)headerLength), fileLength, source);
    }

    /// <summary>
    /// Reads and checks the header of the safetensors file at <paramref name="path"/> without reading its data, so a
    /// multi-gigabyte shard costs one small read: every tensor must fit in the file as it is on disk.
    /// </summary>
    /// <exception cref="InvalidDataException">Not well-formed safetensors (e.g. truncated): the message names the file.</exception>
    public static SafeTensorsHeader Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (stream.Length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw new InvalidDataException($"{path}: too short to be a safetensors file.");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(stream.Length - 8) || headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file ({stream.Length} bytes).");
        }
        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        return ParseJson(header, stream.Length, path);
    }

    /// <summary>Largest header <see cref="Read"/> accepts (the format's own limit is 100 MB).</summary>
    private const ulong MaxHeaderBytes = 100_000_000;

    private static SafeTensorsHeader ParseJson(ReadOnlySpan<byte> headerJson, long fileLength, string source)
    {
        long dataStart = 8 + headerJson.Length;
        var tensors = new Dictionary<string, (string, long[], long, long)>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using JsonDocument header = JsonDocument.Parse(headerJson.ToArray());
            foreach (JsonProperty p in header.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (JsonProperty m in p.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.GetString() ?? "";
                    }
                    continue;
                }
                string dtype = p.Value.GetProperty("dtype").GetString() ?? "";
                long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] range = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype, source, p.Name);
                if (range.Length != 2 || range[0] < 0 || range[1] - range[0] != expected || dataStart + range[1] > fileLength)
                {
                    throw new InvalidDataException($"{source}: tensor '{p.Name}' {dtype}[{string.Join(",", shape)}] needs {expected} bytes within the file; its data_offsets are [{string.Join(", ", range)}].");
                }
                tensors[p.Name] = (dtype, shape, range[0], range[1]);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: bad safetensors header ({e.Message}).", e);
        }
        return new SafeTensorsHeader(dataStart, tensors, metadata);
    }

    /// <summary>Bytes per element of a safetensors dtype.</summary>
    public static int ElementSize(string dtype, string source, string tensor) => dtype switch
    {
        "U8" or "I8" or "BOOL" => 1,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F32" or "I32" or "U32" => 4,
        "F64" or "I64" or "U64" => 8,
        _ => throw new InvalidDataException($"{source}: tensor '{tensor}' has unsupported dtype {dtype}."),
    };
}
