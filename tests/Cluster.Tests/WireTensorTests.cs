using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>Latents on the wire: float32 exactly, half rounded to nearest-even like torch, out-of-range values kept.</summary>
public sealed class WireTensorTests
{
    [Fact]
    public void Float32_round_trips_every_bit()
    {
        float[] values = [0f, -0f, 1e-30f, 3.14159265f, -65504.5f, 1e20f, float.Epsilon];
        WireTensor wire = WireCodec.Encode(values, WirePrecision.Float32);
        Assert.Equal(WirePrecision.Float32, wire.Precision);
        Assert.Equal(values.Length * 4, wire.Data.Length);
        Assert.Equal(values, wire.ToFloats());
    }

    [Fact]
    public void Half_takes_two_bytes_a_value_and_rounds_as_torch_does()
    {
        manual_seed(3);
        using Tensor z = randn([2, 3, 4, 8, 8]) * 3;
        WireTensor wire = WireCodec.Encode(z, WirePrecision.Float16);
        Assert.Equal(WirePrecision.Float16, wire.Precision);
        Assert.Equal(z.numel() * 2, wire.Data.Length);

        using Tensor back = wire.ToTensor(z.shape);
        using Tensor torchRounded = z.to(ScalarType.Float16).to(ScalarType.Float32);
        Assert.True(back.eq(torchRounded).all().item<bool>(), "half rounding differs from torch's");
        // Relative error of half: at most 2^-11 for normal values.
        using Tensor relative = ((back - z).abs() / z.abs().clamp_min(6.2e-5)).max();
        Assert.InRange(relative.item<float>(), 1e-6f, 1f / 2048 + 1e-7f);
    }

    [Fact]
    public void Host_conversion_gives_torchs_half_bits_both_ways_at_the_edges_too()
    {
        // Ties to even at several exponents, half's subnormals and their ties, the largest half and the largest float
        // that still rounds to it, then a wide random spread below overflow.
        float[] edges = [0f, -0f, 1f + 1f / 2048, 1f + 3f / 2048, -(1f + 1f / 2048), 2.9802322e-8f, 5.9604645e-8f, 8.940697e-8f, 1e-10f,
            6.097555e-5f, 6.1035156e-5f, 65504f, 65519.996f, -65519.996f, -3.3333333f, 1234.5678f];
        manual_seed(5);
        using Tensor spread = (randn(8192) * pow(10, rand(8192) * 12 - 8)).clamp(-65000, 65000);
        using Tensor values = cat([tensor(edges), spread]);
        WireTensor wire = WireCodec.Encode(values, WirePrecision.Float16);
        Assert.Equal(WirePrecision.Float16, wire.Precision);
        using Tensor half = values.to(ScalarType.Float16);
        Assert.Equal(half.bytes.ToArray(), wire.Data);

        using Tensor back = wire.ToTensor(values.shape);
        using Tensor torchBack = half.to(ScalarType.Float32);
        Assert.Equal(torchBack.bytes.ToArray(), back.bytes.ToArray());
    }

    [Theory]
    [InlineData(70000f)]
    [InlineData(65520f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-65520f)]
    [InlineData(float.NegativeInfinity)]
    public void A_value_half_cannot_hold_sends_the_whole_message_as_float32(float odd)
    {
        // Short, and long with the value at each end and inside a vector's lanes (the check is vectorised).
        foreach (int length in new[] { 3, 1001 })
        {
            foreach (int at in new[] { 0, length / 2, length - 1 })
            {
                float[] values = Enumerable.Range(0, length).Select(i => (i % 7) - 3.25f).ToArray();
                values[at] = odd;
                WireTensor wire = WireCodec.Encode(values, WirePrecision.Float16);
                Assert.Equal(WirePrecision.Float32, wire.Precision);
                Assert.Equal(values, wire.ToFloats());
            }
        }
    }

    [Fact]
    public void Every_exponent_and_mantissa_pattern_converts_as_the_runtimes_half_cast()
    {
        // 2^20 random float bit patterns over every exponent half can reach (zero, float subnormals, half subnormals,
        // normals up to 2^15), any mantissa and sign: the vectorised conversion against Half's scalar cast, both ways.
        var random = new Random(11);
        float[] values = new float[1 << 20];
        for (int i = 0; i < values.Length; i++)
        {
            uint exponent = (uint)random.Next(0, 142);
            uint bits = ((uint)random.Next() & 0x807F_FFFFu) | (exponent << 23) | ((uint)random.Next(2) << 31);
            values[i] = BitConverter.UInt32BitsToSingle(bits);
        }
        WireTensor wire = WireCodec.Encode(values, WirePrecision.Float16);
        Assert.Equal(WirePrecision.Float16, wire.Precision);
        ushort[] expected = values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray();
        Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(wire.Data).ToArray());
        Assert.Equal(values.Select(v => (float)(Half)v).ToArray(), wire.ToFloats());
    }

    [Fact]
    public void An_empty_tensor_travels_as_half()
    {
        WireTensor wire = WireCodec.Encode(ReadOnlySpan<float>.Empty, WirePrecision.Float16);
        Assert.Equal(WirePrecision.Float16, wire.Precision);
        Assert.Empty(wire.Data);
    }

    [Fact]
    public void A_shape_that_does_not_match_the_bytes_is_refused()
    {
        WireTensor wire = WireCodec.Encode(new float[12], WirePrecision.Float16);
        var error = Assert.Throws<ArgumentException>(() => wire.ToTensor([1, 3, 5]));
        Assert.Contains("24 bytes of Float16", error.Message, StringComparison.Ordinal);
    }
}
