using System.Security.Cryptography;
using Google.Protobuf;
using Loom.Client.Api;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// Idempotency keys of <c>loom render</c>: derived from the spec as sent (the options given, the seed and the given
/// frames' pixels), so running the same command again attaches to the job it made, wherever that job is now.
/// </summary>
internal static class RenderKeys
{
    /// <summary>Attempts at most: a job under the key that failed or was cancelled is rendered again under the next.</summary>
    private const int MaxAttempts = 100;

    /// <summary>The key of <paramref name="spec"/>'s <paramref name="attempt"/>-th job (0 first): <c>render-</c> and 40 hex digits of SHA-256, then <c>-N</c> for a retry.</summary>
    public static string Of(JobSpec spec, int attempt = 0)
    {
        // Protobuf's encoding of one message is deterministic here (no maps); the pixels are part of it.
        string hash = Convert.ToHexStringLower(SHA256.HashData(spec.ToByteArray()))[..40];
        return attempt == 0 ? $"render-{hash}" : $"render-{hash}-{attempt}";
    }

    /// <summary>
    /// Submits <paramref name="spec"/> under its key, or under a new random one when <paramref name="fresh"/>. A job found
    /// under the key that completed, is queued or is running is the one returned (attached); one that failed or was
    /// cancelled is left as its record and the spec is submitted again under the next attempt's key.
    /// </summary>
    public static async Task<Job> SubmitAsync(LoomClient client, JobSpec spec, bool fresh, CancellationToken cancellationToken = default)
    {
        if (fresh)
        {
            return await client.SubmitAsync(spec, idempotencyKey: $"render-new-{Guid.NewGuid():N}", cancellationToken: cancellationToken);
        }
        for (int attempt = 0; ; attempt++)
        {
            Job job = await client.SubmitAsync(spec, idempotencyKey: Of(spec, attempt), cancellationToken: cancellationToken);
            if (job.State is not (JobState.Failed or JobState.Cancelled) || attempt + 1 >= MaxAttempts)
            {
                return job;
            }
        }
    }
}
