using System.Security.Cryptography;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// A job's latent as bytes and pixels: its hash (of the float32 bytes <see cref="WireCodec.ToBytes"/> gives, as checkpointed) and the RGB
/// frames of the result. The sampling itself is <see cref="JobRun"/>'s.
/// </summary>
public static class JobSampling
{
    /// <summary>SHA-256 (hex) of the latent's float32 bytes.</summary>
    public static string Hash(Tensor latent) => Convert.ToHexString(SHA256.HashData(WireCodec.ToBytes(latent))).ToLowerInvariant();

    /// <summary>Video frames as RGB bytes <c>[F, H, W, 3]</c> from a pixel-space latent <c>[1, 3, F, H, W]</c> in [-1, 1].</summary>
    public static byte[] ToRgb(Tensor latent) => TensorBlock.Read(() =>
    {
        using Scalar low = (-1.0).ToScalar(), high = 1.0.ToScalar(), half = 127.5.ToScalar();
        return latent[0].clamp(low, high).add(high).mul(half).round().to(ScalarType.Byte).permute(1, 2, 3, 0).contiguous().data<byte>().ToArray();
    });
}
