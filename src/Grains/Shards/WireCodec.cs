using System.Runtime.InteropServices;
using Loom.Contracts.Shards;
using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>Tensors to and from <see cref="WireTensor"/>, converted by libtorch (the contract record holds bytes only).</summary>
public static class WireCodec
{
    /// <summary>
    /// <paramref name="tensor"/>'s values in <paramref name="precision"/>; float32 when a value is outside half's
    /// range or not finite (rounding to infinity would corrupt the sampler). Converted by libtorch (vectorised,
    /// IEEE round to nearest even) on the tensor's own device; a GPU tensor is then copied to host memory once, in the
    /// precision that travels (half the bytes for float16).
    /// </summary>
    /// <remarks>
    /// A contiguous float32 tensor in host memory (every job-side latent and every CPU shard's velocity) is converted
    /// here instead, straight from its memory into the wire's bytes: the same IEEE conversion (<see cref="Half"/>'s
    /// explicit cast rounds to nearest even) without the intermediate half tensor, its finiteness check as three more
    /// libtorch calls, and the copy out of it.
    /// </remarks>
    public static WireTensor Encode(torch.Tensor tensor, WirePrecision precision)
        => tensor.device_type == DeviceType.CPU && tensor.dtype == torch.ScalarType.Float32 && tensor.is_contiguous()
            ? Encode(MemoryMarshal.Cast<byte, float>(tensor.bytes), precision)
            : EncodeByTorch(tensor, precision);

    /// <summary><paramref name="values"/> in <paramref name="precision"/>; float32 when one is outside half's range or not finite.</summary>
    /// <remarks>Converted a hardware vector at a time (<see cref="HalfBits"/>): the same bits as <see cref="Half"/>'s cast and torch.</remarks>
    public static WireTensor Encode(ReadOnlySpan<float> values, WirePrecision precision)
    {
        if (precision == WirePrecision.Float16)
        {
            byte[] bytes = GC.AllocateUninitializedArray<byte>(values.Length * sizeof(short));
            if (HalfBits.FromSingles(values, MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan())))
            {
                return new WireTensor(bytes, WirePrecision.Float16);
            }
        }
        return new WireTensor(MemoryMarshal.AsBytes(values).ToArray(), WirePrecision.Float32);
    }

    private static WireTensor EncodeByTorch(torch.Tensor tensor, WirePrecision precision) => TensorBlock.Read(() =>
    {
        torch.Tensor values = tensor.to(torch.ScalarType.Float32).contiguous();
        if (precision == WirePrecision.Float16)
        {
            torch.Tensor half = values.to(torch.ScalarType.Float16);
            if (half.isfinite().all().item<bool>())
            {
                return new WireTensor(Host(half).bytes.ToArray(), WirePrecision.Float16);
            }
        }
        return new WireTensor(Host(values).bytes.ToArray(), WirePrecision.Float32);
    });

    private static torch.Tensor Host(torch.Tensor tensor) => tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();

    /// <summary><paramref name="values"/> in <paramref name="precision"/> (see <see cref="Encode(torch.Tensor, WirePrecision)"/>).</summary>
    public static WireTensor Encode(float[] values, WirePrecision precision) => Encode(values.AsSpan(), precision);

    /// <summary>The values of <paramref name="wire"/> as float32.</summary>
    public static float[] ToFloats(this WireTensor wire)
    {
        using torch.Tensor values = wire.ToTensor([wire.Count]);
        return values.data<float>().ToArray();
    }

    /// <summary>A float32 tensor of <paramref name="shape"/> holding the values of <paramref name="wire"/>.</summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly <see cref="WireTensor.Count"/> values.</exception>
    public static torch.Tensor ToTensor(this WireTensor wire, long[] shape)
    {
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != wire.Count || wire.Data.Length % WireTensor.BytesPerValue(wire.Precision) != 0)
        {
            throw new ArgumentException($"{wire.Data.Length} bytes of {wire.Precision} do not fill shape [{string.Join(", ", shape)}].", nameof(shape));
        }
        return TensorBlock.Run(() =>
        {
            torch.Tensor values = torch.empty(shape, torch.ScalarType.Float32);
            if (wire.Precision == WirePrecision.Float32)
            {
                values.bytes = wire.Data;
                return values;
            }
            // Half to float is exact: converted here (vectorised), straight into the tensor's memory (no half tensor in between).
            HalfBits.ToSingles(MemoryMarshal.Cast<byte, ushort>(wire.Data.AsSpan()), MemoryMarshal.Cast<byte, float>(values.bytes));
            return values;
        });
    }

    /// <summary><paramref name="tensor"/> as it arrives after a trip over the wire in <paramref name="precision"/> (float32).</summary>
    public static torch.Tensor Round(torch.Tensor tensor, WirePrecision precision)
        => precision == WirePrecision.Float32 ? tensor.to(torch.ScalarType.Float32).clone() : Encode(tensor, precision).ToTensor(tensor.shape);

    /// <summary>The latent's float32 bytes (little-endian), as checkpointed, hashed and sent as conditioning.</summary>
    public static byte[] ToBytes(torch.Tensor latent) => Encode(latent, WirePrecision.Float32).Data;

    /// <summary>A latent of <paramref name="sampleShape"/> (batch 1) from <see cref="ToBytes"/>' bytes.</summary>
    public static torch.Tensor FromBytes(byte[] bytes, long[] sampleShape) => new WireTensor(bytes, WirePrecision.Float32).ToTensor([1, .. sampleShape]);
}
