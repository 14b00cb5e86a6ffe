using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Loom.Grains.Jobs;

namespace Loom.Silo.Api;

/// <summary>
/// Job ids: their format, new ones, and the one an idempotency key stands for. Three namespaces that never meet: ids
/// the silo makes up (<c>job-</c>...), ids derived from keys (<c>key-</c>...) and ids an admin chooses (anything else;
/// a submitter key names its jobs by idempotency key only, see <see cref="JobSubmission"/>).
/// </summary>
public static partial class JobIds
{
    /// <summary>Longest idempotency key in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Prefix of the ids derived from idempotency keys; a client may not choose one.</summary>
    public const string KeyPrefix = "key-";

    /// <summary>Throws INVALID_ARGUMENT (field <c>job_id</c>) unless <paramref name="jobId"/> is <c>[A-Za-z0-9._-]{1,128}</c> and not <c>.</c> or <c>..</c>.</summary>
    public static void Check(string jobId)
    {
        if (!Format().IsMatch(jobId) || jobId is "." or "..")
        {
            throw ApiErrors.InvalidArgument("job_id", $"must be 1 to 128 of A-Z a-z 0-9 . _ - (and not '.' or '..'); got '{LogText.Escape(jobId)}'.");
        }
    }

    /// <summary>
    /// <see cref="Check"/> for an id a client chooses at submit: besides the format, the prefix <see cref="KeyPrefix"/>
    /// is refused, so no chosen id can take the place of the job a future idempotency key stands for.
    /// </summary>
    public static void CheckChosen(string jobId)
    {
        Check(jobId);
        if (jobId.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            throw ApiErrors.InvalidArgument("job_id", $"ids starting with '{KeyPrefix}' stand for idempotency keys; pass idempotency_key instead, or choose another id; got '{jobId}'.");
        }
    }

    /// <summary>A fresh id: the UTC time (so ids sort by submission) and 48 random bits.</summary>
    public static string New() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}";

    /// <summary>The id a job submitted under <paramref name="idempotencyKey"/> without a job id gets: a hash of the key.</summary>
    public static string FromKey(string idempotencyKey)
        => $"{KeyPrefix}{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..40].ToLowerInvariant()}";

    // \A and \z: '$' would also match before a final newline.
    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,128}\z")]
    private static partial Regex Format();
}
