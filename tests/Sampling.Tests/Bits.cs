using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>Bit-for-bit comparison of float32 tensors (shape and every bit of every element).</summary>
internal static class Bits
{
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
        {
            return false;
        }
        using var scope = NewDisposeScope();
        int[] left = a.contiguous().to(ScalarType.Float32).data<float>().Select(BitConverter.SingleToInt32Bits).ToArray();
        int[] right = b.contiguous().to(ScalarType.Float32).data<float>().Select(BitConverter.SingleToInt32Bits).ToArray();
        return left.SequenceEqual(right);
    }
}
