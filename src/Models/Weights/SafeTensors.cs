using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Weights;

/// <summary>
/// The safetensors format, read and written directly: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian buffers. F32, F64, BF16, F16, I64, I32 and U8.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float16] = "F16", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Byte] = "U8",
    };

    /// <summary>Writes <paramref name="tensors"/> (CPU copies are taken) and optional string metadata to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        }
        var buffers = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!Names.TryGetValue(tensor.dtype, out string? dtype))
            {
                throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}, which safetensors I/O here does not support.", nameof(tensors));
            }
            byte[] bytes = tensor.detach().cpu().contiguous().bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.Length)),
            };
            buffers.Add(bytes);
            offset += bytes.Length;
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // keep the buffers 8-byte aligned
        json = json.Concat(Enumerable.Repeat((byte)' ', padding)).ToArray();
        string temporary = path + ".partial";
        using (var file = File.Create(temporary))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
            file.Write(length);
            file.Write(json);
            buffers.ForEach(b => file.Write(b));
        }
        File.Move(temporary, path, overwrite: true); // never leave a half-written checkpoint under the real name
    }

    /// <summary>Reads every tensor of <paramref name="path"/> (on the CPU) and its metadata.</summary>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message says what is wrong.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(data, path);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, (dtypeName, shape, begin, end)) in header.Tensors)
        {
            ScalarType dtype = Names.FirstOrDefault(kv => kv.Value == dtypeName).Value is null
                ? throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtypeName}.")
                : Names.First(kv => kv.Value == dtypeName).Key;
            Tensor tensor = empty(shape, dtype);
            data.AsSpan((int)(header.DataStart + begin), (int)(end - begin)).CopyTo(tensor.bytes);
            tensors[name] = tensor;
        }
        return (tensors, new Dictionary<string, string>(header.Metadata));
    }
}
