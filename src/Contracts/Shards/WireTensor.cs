namespace Loom.Contracts.Shards;

/// <summary>
/// A tensor's values on the wire, little-endian, in <see cref="Precision"/> (shape travels beside it). The grains
/// encode and decode it with libtorch (<c>WireCodec</c>); the record itself is only bytes.
/// </summary>
/// <param name="Data">The values, 4 or 2 bytes each.</param>
/// <param name="Precision">How they are stored.</param>
[GenerateSerializer, Alias("loom.wire-tensor"), Immutable]
public sealed record WireTensor(byte[] Data, WirePrecision Precision)
{
    /// <summary>Values held.</summary>
    public long Count => Data.Length / BytesPerValue(Precision);

    /// <summary>Bytes one value takes in <paramref name="precision"/>.</summary>
    public static int BytesPerValue(WirePrecision precision) => precision == WirePrecision.Float16 ? 2 : sizeof(float);
}
