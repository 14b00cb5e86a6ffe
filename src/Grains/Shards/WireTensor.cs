using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>A tensor's values on the wire, little-endian, in <see cref="Precision"/> (shape travels beside it).</summary>
/// <param name="Data">The values, 4 or 2 bytes each.</param>
/// <param name="Precision">How they are stored.</param>
[GenerateSerializer, Alias("loom.wire-tensor"), Immutable]
public sealed record WireTensor(byte[] Data, WirePrecision Precision)
{
    /// <summary>Values held.</summary>
    public long Count => Data.Length / BytesPerValue(Precision);

    /// <summary>Bytes one value takes in <paramref name="precision"/>.</summary>
    public static int BytesPerValue(WirePrecision precision) => precision == WirePrecision.Float16 ? 2 : sizeof(float);

    /// <summary>
    /// <paramref name="tensor"/>'s values in <paramref name="precision"/>; float32 when a value is outside half's
    /// range or not finite (rounding to infinity would corrupt the sampler). Converted by libtorch (vectorised,
    /// IEEE round to nearest even) on the tensor's own device; a GPU tensor is then copied to host memory once, in the
    /// precision that travels (half the bytes for float16).
    /// </summary>
    public static WireTensor Encode(torch.Tensor tensor, WirePrecision precision) => TensorBlock.Read(() =>
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
    public static WireTensor Encode(float[] values, WirePrecision precision)
    {
        using torch.Tensor tensor = torch.tensor(values);
        return Encode(tensor, precision);
    }

    /// <summary>The values as float32.</summary>
    public float[] ToFloats()
    {
        using torch.Tensor values = ToTensor([Count]);
        return values.data<float>().ToArray();
    }

    /// <summary>A float32 tensor of <paramref name="shape"/> holding the values.</summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly <see cref="Count"/> values.</exception>
    public torch.Tensor ToTensor(long[] shape)
    {
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != Count || Data.Length % BytesPerValue(Precision) != 0)
        {
            throw new ArgumentException($"{Data.Length} bytes of {Precision} do not fill shape [{string.Join(", ", shape)}].", nameof(shape));
        }
        return TensorBlock.Run(() =>
        {
            torch.Tensor stored = torch.empty(shape, Precision == WirePrecision.Float16 ? torch.ScalarType.Float16 : torch.ScalarType.Float32);
            stored.bytes = Data;
            return stored.to(torch.ScalarType.Float32);
        });
    }

    /// <summary><paramref name="tensor"/> as it arrives after a trip over the wire in <paramref name="precision"/> (float32).</summary>
    public static torch.Tensor Round(torch.Tensor tensor, WirePrecision precision)
        => precision == WirePrecision.Float32 ? tensor.to(torch.ScalarType.Float32).clone() : Encode(tensor, precision).ToTensor(tensor.shape);
}
