using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Proto = Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>
/// One submit request to one render job grain: the job id (given, found under the idempotency key, derived from the
/// key, or new), the spec with defaults, and the grain's verdict. Shared by SubmitJob and SubmitBatch.
/// </summary>
public sealed class JobSubmission(IGrainFactory grains, ModelCatalog catalog)
{
    /// <summary>Submits <paramref name="request"/>; throws INVALID_ARGUMENT or <see cref="InvalidJobSpecException"/> for a bad field.</summary>
    public async Task<JobStatus> SubmitAsync(Proto.SubmitJobRequest request, CancellationToken cancellationToken = default)
    {
        string key = request.IdempotencyKey ?? "";
        if (key.Length > JobIds.MaxKeyLength)
        {
            throw ApiErrors.InvalidArgument("idempotency_key", $"at most {JobIds.MaxKeyLength} characters; got {key.Length}.");
        }
        string given = request.JobId ?? "";
        if (given.Length > 0)
        {
            JobIds.Check(given);
        }
        JobSpec spec = ProtoSpecs.FromProto(request.Spec, catalog.Shapes);
        string jobId = given.Length > 0 ? given : JobIds.New();
        if (key.Length > 0)
        {
            string? first = await grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key).FindByKeyAsync(key).WaitAsync(cancellationToken);
            if (first is not null && given.Length > 0 && first != given)
            {
                throw ApiErrors.InvalidArgument("idempotency_key", $"'{key}' was first used for job '{first}', not '{given}'.");
            }
            jobId = first ?? (given.Length > 0 ? given : JobIds.FromKey(key));
        }
        return await grains.GetGrain<IRenderJobGrain>(jobId).SubmitAsync(spec, key.Length > 0 ? key : null).WaitAsync(cancellationToken);
    }
}
