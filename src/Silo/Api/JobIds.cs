using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Loom.Silo.Api;

/// <summary>Job ids: their format, new ones, and the one an idempotency key stands for.</summary>
public static partial class JobIds
{
    /// <summary>Longest idempotency key in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Throws INVALID_ARGUMENT (field <c>job_id</c>) unless <paramref name="jobId"/> is <c>[A-Za-z0-9._-]{1,128}</c>.</summary>
    public static void Check(string jobId)
    {
        if (!Format().IsMatch(jobId))
        {
            throw ApiErrors.InvalidArgument("job_id", $"must be 1 to 128 of A-Z a-z 0-9 . _ -; got '{(jobId.Length > 140 ? jobId[..140] + "..." : jobId)}'.");
        }
    }

    /// <summary>A fresh id: the UTC time (so ids sort by submission) and 48 random bits.</summary>
    public static string New() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}";

    /// <summary>The id a job submitted under <paramref name="idempotencyKey"/> without a job id gets: a hash of the key.</summary>
    public static string FromKey(string idempotencyKey)
        => $"key-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..40].ToLowerInvariant()}";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex Format();
}
