using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Reads UMT5 encoder weights from what a user downloads: the official Wan release's
/// <c>models_t5_umt5-xxl-enc-bf16.pth</c> (a <c>torch.save</c>d state_dict, bfloat16, official names) or Diffusers'
/// <c>text_encoder/</c> (transformers <c>UMT5EncoderModel</c> safetensors, one file or shards, transformers names).
/// Safetensors are streamed tensor by tensor, so shards and tensors beyond 2 GiB load.
/// </summary>
public static class UmT5Checkpoint
{
    /// <summary>The official file name of the encoder weights in a Wan2.1 repository.</summary>
    public const string OfficialFileName = "models_t5_umt5-xxl-enc-bf16.pth";

    /// <summary>
    /// The weights at <paramref name="path"/>: a <c>.pth</c> file, a <c>.safetensors</c> file, a Diffusers
    /// <c>text_encoder/</c> folder (every <c>*.safetensors</c> in it), a Diffusers repository root (its
    /// <c>text_encoder/</c>) or an official Wan repository root (its <see cref="OfficialFileName"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing loadable there.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (File.Exists(path))
        {
            return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? ReadSafeTensors([path]) : ReadPth(path);
        }
        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"UMT5 weights: '{path}' is neither a file nor a folder.", path);
        }
        string official = Path.Combine(path, OfficialFileName);
        if (File.Exists(official))
        {
            return ReadPth(official);
        }
        string folder = Directory.Exists(Path.Combine(path, "text_encoder")) ? Path.Combine(path, "text_encoder") : path;
        string[] shards = Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return shards.Length > 0 ? ReadSafeTensors(shards)
            : throw new FileNotFoundException($"UMT5 weights: no {OfficialFileName}, text_encoder/ or *.safetensors in '{path}'.", path);
    }

    /// <summary>A <c>torch.save</c>d state_dict (zip pickle), tensors as stored (bfloat16 for the official file).</summary>
    public static Dictionary<string, Tensor> ReadPth(string path)
    {
        using FileStream stream = File.OpenRead(path);
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            weights[(string)entry.Key] = entry.Value as Tensor
                ?? throw new InvalidDataException($"{path}: entry '{entry.Key}' is not a tensor.");
        }
        return weights;
    }

    /// <summary>Every tensor of the safetensors <paramref name="files"/>, on the CPU in their stored dtype.</summary>
    /// <exception cref="InvalidDataException">A malformed file or a tensor in two files; the message names it.</exception>
    public static Dictionary<string, Tensor> ReadSafeTensors(IEnumerable<string> files)
    {
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            using FileStream stream = File.OpenRead(file);
            var lengthBytes = new byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)Math.Min(stream.Length - 8, 100_000_000))
            {
                throw new InvalidDataException($"{file}: header length {headerLength} is not plausible for a {stream.Length}-byte safetensors file.");
            }
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + (long)headerLength;
            using JsonDocument json = JsonDocument.Parse(header);
            foreach (JsonProperty entry in json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__"))
            {
                ScalarType dtype = entry.Value.GetProperty("dtype").GetString() switch
                {
                    "F32" => ScalarType.Float32,
                    "BF16" => ScalarType.BFloat16,
                    "F16" => ScalarType.Float16,
                    "F64" => ScalarType.Float64,
                    "I64" => ScalarType.Int64,
                    string other => throw new InvalidDataException($"{file}: tensor '{entry.Name}' has dtype {other}, not one UMT5 weights use."),
                    null => throw new InvalidDataException($"{file}: tensor '{entry.Name}' has no dtype."),
                };
                long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] range = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                Tensor tensor = empty(shape, dtype);
                long bytes = tensor.numel() * tensor.ElementSize;
                if (range.Length != 2 || range[1] - range[0] != bytes || dataStart + range[1] > stream.Length)
                {
                    throw new InvalidDataException($"{file}: tensor '{entry.Name}' {dtype}[{string.Join(",", shape)}] does not fit its data_offsets [{string.Join(", ", range)}].");
                }
                stream.Position = dataStart + range[0];
                Fill(tensor, stream);
                if (!weights.TryAdd(entry.Name, tensor))
                {
                    throw new InvalidDataException($"{file}: tensor '{entry.Name}' also occurs in an earlier file.");
                }
            }
        }
        return weights;
    }

    /// <summary>Reads the tensor's bytes from <paramref name="stream"/> in chunks of whole rows (at most 256 MiB).</summary>
    private static void Fill(Tensor tensor, Stream stream)
    {
        if (tensor.numel() == 0)
        {
            return;
        }
        Tensor flat = tensor.view(-1);
        long chunk = Math.Max(1, (256L << 20) / tensor.ElementSize);
        using Tensor buffer = empty(Math.Min(chunk, flat.shape[0]), tensor.dtype);
        for (long start = 0; start < flat.shape[0]; start += chunk)
        {
            long count = Math.Min(chunk, flat.shape[0] - start);
            using Tensor part = buffer.narrow(0, 0, count);
            stream.ReadExactly(buffer.bytes[..(int)(count * tensor.ElementSize)]);
            using Tensor target = flat.narrow(0, start, count);
            target.copy_(part);
        }
    }
}
