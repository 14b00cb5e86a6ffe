using static TorchSharp.torch;

namespace Loom.Models.Serving;

/// <summary>
/// What a model takes on a device, from its files' headers: every parameter's element count times the width of the
/// dtype it is computed in, per part (Wan2.2 A14B: one per expert). Activations come on top and depend on the window.
/// </summary>
/// <param name="ComputeType">The dtype the weights are held and computed in.</param>
/// <param name="Parts">The parts, each loaded whole.</param>
public sealed record ModelMemory(ScalarType ComputeType, IReadOnlyList<ModelPart> Parts)
{
    /// <summary>All parts together.</summary>
    public long Bytes => Parts.Sum(p => p.Bytes);

    /// <summary>The largest part (what a shard holding one expert at a time needs).</summary>
    public long LargestPart => Parts.Count == 0 ? 0 : Parts.Max(p => p.Bytes);

    /// <summary>Bytes of one element of <paramref name="type"/>.</summary>
    public static int ElementBytes(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        _ => throw new ArgumentException($"no element width known for {type}.", nameof(type)),
    };

    /// <summary>A part's bytes in <paramref name="type"/> from safetensors headers: the elements of the tensors <paramref name="include"/> keeps.</summary>
    public static long FromHeaders(IEnumerable<string> files, ScalarType type, Func<string, bool>? include = null)
    {
        long elements = 0;
        foreach (string file in files)
        {
            foreach (var (name, entry) in Weights.SafeTensorsHeader.Read(file).Tensors)
            {
                if (include is null || include(name))
                {
                    elements += entry.Shape.Aggregate(1L, (a, b) => a * b);
                }
            }
        }
        return elements * ElementBytes(type);
    }
}
