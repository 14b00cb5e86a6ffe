using System.Security.Cryptography;
using System.Text;

namespace Loom.Contracts.Shards;

/// <summary>
/// What a window is conditioned on, shipped to a shard once and cached there under its content hash (<see cref="Key"/>):
/// clean frames of a pixel-space window (float32 <c>[1, 3, L, H, W]</c>) and which of its L frames are given, and named
/// tensors such as a prompt's text embedding or an image-to-video condition.
/// </summary>
/// <param name="Clean">Clean frames; empty when none are given.</param>
/// <param name="Given">Which frames are given; empty when none.</param>
/// <param name="Tensors">Named conditioning tensors; null when none.</param>
[GenerateSerializer, Alias("loom.window-conditioning"), Immutable]
public sealed record WindowConditioning(byte[] Clean, bool[] Given, ConditioningTensor[]? Tensors = null)
{
    /// <summary>SHA-256 (hex) of the content: the frames and flags, then each tensor's name, shape, precision and values.</summary>
    public string Key()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Clean);
        hash.AppendData(Given.Select(g => g ? (byte)1 : (byte)0).ToArray());
        foreach (ConditioningTensor tensor in Tensors ?? [])
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{tensor.Name}[{string.Join(',', tensor.Shape)}]{tensor.Values.Precision}\n"));
            hash.AppendData(tensor.Values.Data);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
