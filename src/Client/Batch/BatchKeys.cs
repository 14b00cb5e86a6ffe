using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Loom.Protos.V1;

namespace Loom.Client.Batch;

/// <summary>
/// Idempotency keys of batch items. The base key is a hash of what the line asks for (its id when it names one, and the
/// spec with its given frames), so a client that crashes and submits again gets the same jobs back. Attempt k &gt; 0
/// appends <c>-retry-k</c>: a rerun walks the attempts past failed or cancelled jobs to the first live or new one.
/// </summary>
internal static class BatchKeys
{
    public static string Base(ManifestItem item, JobSpec spec)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"loom-batch/1\n{(item.Id.StartsWith("line-", StringComparison.Ordinal) ? "" : item.Id)}\n"));
        hash.AppendData(spec.ToByteArray());
        return "batch-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..40];
    }

    public static string Attempt(string baseKey, int attempt) => attempt == 0 ? baseKey : $"{baseKey}-retry-{attempt}";
}
