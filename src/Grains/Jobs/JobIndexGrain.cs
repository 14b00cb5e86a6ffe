using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>The job list and the idempotency keys (see <see cref="IJobIndexGrain"/>).</summary>
public sealed class JobIndexGrain([PersistentState("index", "jobs")] IPersistentState<JobIndexState> state) : Grain, IJobIndexGrain
{
    /// <summary>The cluster's one index.</summary>
    public const string Key = "default";

    /// <inheritdoc />
    public async Task RecordAsync(JobIndexEntry entry)
    {
        JobIndexState s = state.State;
        JobIndexEntry updated;
        if (s.Jobs.TryGetValue(entry.JobId, out JobIndexEntry? known))
        {
            if (known.Phase == entry.Phase && known.FinishedAt == entry.FinishedAt)
            {
                return;
            }
            updated = known with { Phase = entry.Phase, FinishedAt = entry.FinishedAt };
        }
        else
        {
            updated = entry with { Sequence = s.NextSequence++ };
        }
        s.Jobs[entry.JobId] = updated;
        if (!string.IsNullOrEmpty(updated.IdempotencyKey))
        {
            s.Keys.TryAdd(updated.IdempotencyKey, updated.JobId);
        }
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<JobPage> ListAsync(JobQuery query)
    {
        List<JobIndexEntry> matching = state.State.Jobs.Values
            .Where(j => query.Phases.Count == 0 || query.Phases.Contains(j.Phase))
            .Where(j => string.IsNullOrEmpty(query.Model) || j.Model == query.Model)
            .Where(j => query.Owner is null || j.Owner == query.Owner)
            .OrderByDescending(j => j.Sequence)
            .ToList();
        JobIndexEntry[] page = matching.Where(j => query.Before is not { } before || j.Sequence < before).Take(Math.Max(1, query.PageSize) + 1).ToArray();
        bool more = page.Length > query.PageSize;
        JobIndexEntry[] jobs = more ? page[..query.PageSize] : page;
        return Task.FromResult(new JobPage(jobs, more ? jobs[^1].Sequence : null, matching.Count));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ExpiredAsync(DateTimeOffset finishedBefore, int max)
    {
        // Entries recorded before finish times were kept count from their submission.
        IReadOnlyList<string> expired = state.State.Jobs.Values
            .Where(j => j.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled && (j.FinishedAt ?? j.SubmittedAt) <= finishedBefore)
            .OrderBy(j => j.FinishedAt ?? j.SubmittedAt)
            .Take(Math.Max(0, max))
            .Select(j => j.JobId)
            .ToArray();
        return Task.FromResult(expired);
    }

    /// <inheritdoc />
    public Task<string?> FindByKeyAsync(string idempotencyKey)
        => Task.FromResult(state.State.Keys.TryGetValue(idempotencyKey, out string? jobId) ? jobId : null);

    /// <inheritdoc />
    public async Task<string> ClaimKeyAsync(string idempotencyKey, string jobId)
    {
        if (state.State.Keys.TryGetValue(idempotencyKey, out string? owner))
        {
            return owner;
        }
        state.State.Keys[idempotencyKey] = jobId;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Keys.Remove(idempotencyKey);
            throw;
        }
        return jobId;
    }

    /// <inheritdoc />
    public async Task ReleaseKeyAsync(string idempotencyKey, string jobId)
    {
        if (state.State.Keys.TryGetValue(idempotencyKey, out string? owner) && owner == jobId
            && !(state.State.Jobs.TryGetValue(jobId, out JobIndexEntry? listed) && listed.IdempotencyKey == idempotencyKey))
        {
            state.State.Keys.Remove(idempotencyKey);
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string jobId)
    {
        string[] keys = state.State.Keys.Where(k => k.Value == jobId).Select(k => k.Key).ToArray();
        bool listed = state.State.Jobs.Remove(jobId);
        foreach (string key in keys)
        {
            state.State.Keys.Remove(key);
        }
        if (listed || keys.Length > 0)
        {
            await state.WriteStateAsync();
        }
    }
}
