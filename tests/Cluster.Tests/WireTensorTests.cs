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

    [Theory]
    [InlineData(70000f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_value_half_cannot_hold_sends_the_whole_message_as_float32(float odd)
    {
        float[] values = [1.5f, odd, -2f];
        WireTensor wire = WireCodec.Encode(values, WirePrecision.Float16);
        Assert.Equal(WirePrecision.Float32, wire.Precision);
        Assert.Equal(values, wire.ToFloats());
    }

    [Fact]
    public void A_shape_that_does_not_match_the_bytes_is_refused()
    {
        WireTensor wire = WireCodec.Encode(new float[12], WirePrecision.Float16);
        var error = Assert.Throws<ArgumentException>(() => wire.ToTensor([1, 3, 5]));
        Assert.Contains("24 bytes of Float16", error.Message, StringComparison.Ordinal);
    }
}
