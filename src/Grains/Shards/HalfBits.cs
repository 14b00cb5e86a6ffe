using System.Numerics;
using System.Runtime.InteropServices;

namespace Loom.Grains.Shards;

/// <summary>
/// float32 to IEEE half and back, a hardware vector of values at a time, in integer arithmetic on the bit patterns:
/// round to nearest even as <see cref="Half"/>'s cast and torch's <c>.to(float16)</c> do, subnormals included, bit
/// for bit (WireTensorTests compares every edge and a wide random spread with torch). The wire codec's hot loop: the
/// runtime's own conversions (<see cref="Half"/>'s cast, <c>TensorPrimitives.ConvertToHalf</c>) go one value at a time,
/// about 1 ms for one toy window's 38K values.
/// </summary>
internal static class HalfBits
{
    /// <summary>
    /// Writes <paramref name="values"/> as half bit patterns into <paramref name="halves"/> (the same length).
    /// </summary>
    /// <returns>False when a value rounds to infinity or is not finite (the caller sends float32 instead).</returns>
    public static bool FromSingles(ReadOnlySpan<float> values, Span<ushort> halves)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(values);
        int lanes = Vector<uint>.Count, i = 0;
        var exponentMask = new Vector<ushort>(0x7C00);
        Vector<ushort> special = Vector<ushort>.Zero;
        for (; i + 2 * lanes <= bits.Length; i += 2 * lanes)
        {
            Vector<ushort> packed = Vector.Narrow(ToHalf(new Vector<uint>(bits[i..])), ToHalf(new Vector<uint>(bits[(i + lanes)..])));
            special |= Vector.Equals(packed & exponentMask, exponentMask);
            packed.CopyTo(halves[i..]);
        }
        bool finite = special == Vector<ushort>.Zero;
        for (; i < bits.Length; i++)
        {
            Half half = (Half)values[i];
            finite &= Half.IsFinite(half);
            halves[i] = BitConverter.HalfToUInt16Bits(half);
        }
        return finite;
    }

    /// <summary>Writes the half bit patterns <paramref name="halves"/> as float32 into <paramref name="values"/> (exact).</summary>
    public static void ToSingles(ReadOnlySpan<ushort> halves, Span<float> values)
    {
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(values);
        int lanes = Vector<ushort>.Count, i = 0;
        for (; i + lanes <= halves.Length; i += lanes)
        {
            Vector.Widen(new Vector<ushort>(halves[i..]), out Vector<uint> low, out Vector<uint> high);
            ToSingle(low).CopyTo(bits[i..]);
            ToSingle(high).CopyTo(bits[(i + lanes / 2)..]);
        }
        for (; i < halves.Length; i++)
        {
            values[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
        }
    }

    /// <summary>float32 bits to half bits in the low 16 bits of each lane (F. Giesen's round-to-nearest-even method).</summary>
    private static Vector<uint> ToHalf(Vector<uint> f)
    {
        Vector<uint> sign = f & new Vector<uint>(0x8000_0000);
        f ^= sign;
        // |x| >= 65536, infinity or NaN: infinity, or a quiet NaN.
        Vector<uint> huge = Vector.ConditionalSelect(Vector.GreaterThan(f, new Vector<uint>(0x7F80_0000)), new Vector<uint>(0x7E00), new Vector<uint>(0x7C00));
        // |x| < 2^-14 (half subnormal or zero): adding 0.5 lines the mantissa up so the FPU rounds it to nearest even.
        Vector<uint> tiny = Vector.AsVectorUInt32(Vector.AsVectorSingle(f) + new Vector<float>(0.5f)) - new Vector<uint>(0x3F00_0000);
        // Normal: rebias the exponent (wrapping add of (15 - 127) << 23), round to nearest even on the 13 dropped bits.
        Vector<uint> odd = Vector.ShiftRightLogical(f, 13) & Vector<uint>.One;
        Vector<uint> normal = Vector.ShiftRightLogical(f + new Vector<uint>(0xC800_0FFF) + odd, 13);
        Vector<uint> half = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(f, new Vector<uint>(0x4780_0000)), huge,
            Vector.ConditionalSelect(Vector.LessThan(f, new Vector<uint>(0x3880_0000)), tiny, normal));
        return half | Vector.ShiftRightLogical(sign, 16);
    }

    /// <summary>Half bits (low 16 bits of each lane) to float32 bits, exactly.</summary>
    private static Vector<uint> ToSingle(Vector<uint> h)
    {
        Vector<uint> magnitude = Vector.ShiftLeft(h & new Vector<uint>(0x7FFF), 13);
        Vector<uint> exponent = magnitude & new Vector<uint>(0x0F80_0000);
        Vector<uint> rebiased = magnitude + new Vector<uint>(0x3800_0000); // (127 - 15) << 23
        // Infinity and NaN: the exponent all ones once more.
        Vector<uint> special = rebiased + new Vector<uint>(0x3800_0000);
        // Zero and subnormals: as a normal number one exponent up, less 2^-14 (exact).
        Vector<uint> subnormal = Vector.AsVectorUInt32(
            Vector.AsVectorSingle(rebiased + new Vector<uint>(0x0080_0000)) - Vector.AsVectorSingle(new Vector<uint>(0x3880_0000)));
        Vector<uint> value = Vector.ConditionalSelect(Vector.Equals(exponent, new Vector<uint>(0x0F80_0000)), special,
            Vector.ConditionalSelect(Vector.Equals(exponent, Vector<uint>.Zero), subnormal, rebiased));
        return value | Vector.ShiftLeft(h & new Vector<uint>(0x8000), 16);
    }
}
