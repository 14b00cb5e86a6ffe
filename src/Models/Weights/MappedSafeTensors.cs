using System.IO.MemoryMappedFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Weights;

/// <summary>
/// A safetensors file read through a memory map, one tensor at a time: each tensor's byte range is mapped, copied
/// straight into the destination (or, when the dtype differs, into one temporary of that tensor's size and converted)
/// and unmapped, so the process never holds more than the destination plus one tensor.
/// </summary>
public sealed class MappedSafeTensors : ITensorSource
{
    private static readonly Dictionary<string, ScalarType> Types = new()
    {
        ["F32"] = ScalarType.Float32, ["F64"] = ScalarType.Float64, ["BF16"] = ScalarType.BFloat16, ["F16"] = ScalarType.Float16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["U8"] = ScalarType.Byte,
    };

    private readonly MemoryMappedFile _file;
    private readonly SafeTensorsHeader _header;

    private MappedSafeTensors(string path, MemoryMappedFile file, SafeTensorsHeader header)
    {
        Path = path;
        _file = file;
        _header = header;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The file's metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _header.Tensors.Keys.ToArray();

    /// <summary>Opens <paramref name="path"/> and parses its header (the data is not touched).</summary>
    /// <exception cref="InvalidDataException">Not well-formed safetensors; the message names the file.</exception>
    public static MappedSafeTensors Open(string path)
    {
        long length = new FileInfo(path).Length;
        byte[] prefix;
        using (FileStream stream = File.OpenRead(path))
        {
            var size = new byte[8];
            stream.ReadExactly(size, 0, (int)Math.Min(8, length));
            ulong headerLength = length < 8 ? 0 : BitConverter.ToUInt64(size);
            if (length < 8 || headerLength > (ulong)(length - 8) || headerLength > 100_000_000)
            {
                throw new InvalidDataException($"{path}: not a safetensors file (header length {headerLength}, file {length} bytes).");
            }
            prefix = new byte[8 + (int)headerLength];
            size.CopyTo(prefix, 0);
            stream.ReadExactly(prefix, 8, (int)headerLength);
        }
        SafeTensorsHeader header = SafeTensorsHeader.Parse(prefix, length, path);
        foreach (var (name, entry) in header.Tensors)
        {
            if (!Types.ContainsKey(entry.DType))
            {
                throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {entry.DType}.");
            }
        }
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        return new MappedSafeTensors(path, file, header);
    }

    /// <inheritdoc />
    public long[] Shape(string name) => Entry(name).Shape;

    /// <inheritdoc />
    public string Origin(string name) => Path;

    /// <summary>The stored dtype of <paramref name="name"/>.</summary>
    public ScalarType StoredType(string name) => Types[Entry(name).DType];

    /// <inheritdoc />
    public unsafe void ReadInto(string name, Tensor destination)
    {
        var (dtype, shape, begin, end) = Entry(name);
        if (!shape.SequenceEqual(destination.shape))
        {
            throw new InvalidDataException($"{Path}: tensor '{name}' has shape [{string.Join(", ", shape)}]; the model expects [{string.Join(", ", destination.shape)}].");
        }
        long bytes = end - begin;
        if (bytes == 0)
        {
            return;
        }
        using MemoryMappedViewAccessor view = _file.CreateViewAccessor(_header.DataStart + begin, bytes, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            var source = new ReadOnlySpan<byte>(pointer + view.PointerOffset, checked((int)bytes));
            ScalarType stored = Types[dtype];
            if (stored == destination.dtype && destination.is_contiguous() && destination.device_type == DeviceType.CPU)
            {
                source.CopyTo(destination.bytes);
                return;
            }
            using Tensor staged = empty(shape, stored);
            source.CopyTo(staged.bytes);
            using (no_grad())
            {
                destination.copy_(staged);
            }
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private (string DType, long[] Shape, long Begin, long End) Entry(string name)
        => _header.Tensors.TryGetValue(name, out var entry) ? entry : throw new InvalidDataException($"{Path}: no tensor '{name}'.");

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
