using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Models.Serving;
using Microsoft.Extensions.Options;
using Proto = Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>
/// One submit request to one render job grain: the job id (given, found under the idempotency key, derived from the
/// key, or new), the spec with defaults, and the grain's verdict. Shared by SubmitJob and SubmitBatch. A key is bound to
/// its job by the job index before the job is created, so concurrent submits under one key create one job. Only an admin
/// may choose a job id: ids are one namespace for every owner, so a submitter choosing one taken by another owner's job
/// would learn that it exists; a submitter's own names are its idempotency keys, which are scoped to it.
/// </summary>
public sealed class JobSubmission(IGrainFactory grains, ModelCatalog catalog, IOptions<LoomJobOptions> options)
{
    /// <summary>
    /// Submits <paramref name="request"/> for <paramref name="caller"/> (recorded as the job's owner; its idempotency keys
    /// are its own); throws INVALID_ARGUMENT or <see cref="InvalidJobSpecException"/> for a bad field.
    /// </summary>
    public async Task<JobStatus> SubmitAsync(Proto.SubmitJobRequest request, ApiCaller caller, CancellationToken cancellationToken = default)
    {
        string sent = request.IdempotencyKey ?? "";
        if (sent.Length > JobIds.MaxKeyLength)
        {
            throw ApiErrors.InvalidArgument("idempotency_key", $"at most {JobIds.MaxKeyLength} characters; got {sent.Length}.");
        }
        string key = caller.ScopedKey(sent);
        string given = request.JobId ?? "";
        if (given.Length > 0 && !caller.IsAdmin)
        {
            // Job ids are one namespace for every owner: a submitter told "already exists" would learn of another
            // owner's job. Its own names are idempotency keys, which are scoped to it (the same answer whatever exists).
            throw ApiErrors.InvalidArgument("job_id", "a submitter key cannot choose a job id (ids are shared by every owner); name the job with idempotency_key, which is this key's own, and use the job id the answer carries.");
        }
        if (given.Length > 0)
        {
            JobIds.CheckChosen(given);
        }
        JobSpec spec = ProtoSpecs.FromProto(request.Spec, catalog.Shapes) with { Owner = caller.Owner };
        if (catalog.Models.TryGetValue(spec.Model, out ShardModelInfo? model))
        {
            ShardInfo[] shards = await grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync().WaitAsync(cancellationToken);
            if (ModelHosting.Problem(model, shards) is { } problem)
            {
                throw new InvalidJobSpecException("model", problem);
            }
        }
        if (key.Length == 0)
        {
            return await grains.GetGrain<IRenderJobGrain>(given.Length > 0 ? given : JobIds.New()).SubmitAsync(spec, null).WaitAsync(cancellationToken);
        }
        // A spec that would be refused binds no key.
        JobSpecValidator.Validate(spec, options.Value.Limits, catalog.Shapes);
        IJobIndexGrain index = grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);
        string wanted = given.Length > 0 ? given : JobIds.FromKey(key);
        string owner = await index.ClaimKeyAsync(key, wanted).WaitAsync(cancellationToken);
        if (given.Length > 0 && owner != given)
        {
            throw ApiErrors.InvalidArgument("idempotency_key", $"'{LogText.Escape(sent)}' was first used for job '{owner}', not '{given}'.");
        }
        try
        {
            return await grains.GetGrain<IRenderJobGrain>(owner).SubmitAsync(spec, key).WaitAsync(cancellationToken);
        }
        catch (InvalidJobSpecException) when (owner == wanted)
        {
            // The job refused it (its id holds another job): the key stays free for a submit that can succeed.
            await index.ReleaseKeyAsync(key, owner).WaitAsync(cancellationToken);
            throw;
        }
    }
}
