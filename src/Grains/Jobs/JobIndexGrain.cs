using Loom.Contracts.Jobs;
using Loom.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Loom.Grains.Jobs;

/// <summary>
/// The job list and the idempotency keys (see <see cref="IJobIndexGrain"/>), held in memory and written one record at a
/// time to the <see cref="IJobIndexStore"/>: an update costs the same however many jobs are listed. The store is read
/// once, at activation; an unreadable entry is skipped, logged and counted, never fatal to the index.
/// </summary>
public sealed partial class JobIndexGrain(
    [PersistentState("index", "jobs")] IPersistentState<JobIndexState> legacy,
    IJobIndexStore store,
    LoomMetrics metrics,
    ILogger<JobIndexGrain> logger) : Grain, IJobIndexGrain
{
    /// <summary>The cluster's one index.</summary>
    public const string Key = "default";

    private readonly Dictionary<string, JobIndexEntry> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _recording = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removing = new(StringComparer.Ordinal);
    private long _nextSequence = 1;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        JobIndexContents contents = await store.LoadAsync(cancellationToken);
        foreach (JobIndexEntry entry in contents.Jobs)
        {
            _jobs[entry.JobId] = entry;
        }
        foreach (var (key, jobId) in contents.Keys)
        {
            _keys[key] = jobId;
        }
        foreach (string unreadable in contents.Unreadable)
        {
            metrics.CorruptData.WithLabels(LoomMetrics.CorruptIndexEntry).Inc();
            LogUnreadable(logger, LogText.Escape(unreadable));
        }
        // An index written whole by an older silo (one grain state): its entries move to the store once.
        if (legacy.RecordExists && (legacy.State.Jobs.Count > 0 || legacy.State.Keys.Count > 0))
        {
            foreach (JobIndexEntry entry in legacy.State.Jobs.Values.Where(e => !_jobs.ContainsKey(e.JobId)))
            {
                await store.SaveAsync(entry, cancellationToken);
                _jobs[entry.JobId] = entry;
            }
            foreach (var (key, jobId) in legacy.State.Keys.Where(k => !_keys.ContainsKey(k.Key)))
            {
                _keys[key] = await store.BindKeyAsync(key, jobId, cancellationToken);
            }
            _nextSequence = legacy.State.NextSequence;
            await legacy.ClearStateAsync(cancellationToken);
        }
        _nextSequence = Math.Max(_nextSequence, _jobs.Count == 0 ? 1 : _jobs.Values.Max(e => e.Sequence) + 1);
        await base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task RecordAsync(JobIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Records interleave (AlwaysInterleave): 64 jobs submitted at once were listed one write after another, and the
        // last accepted 0.4 s after the first. One job's records still go in the order they came, each after the last.
        if (_removing.Contains(entry.JobId))
        {
            return; // being removed (RemoveAsync)
        }
        Task previous = _recording.GetValueOrDefault(entry.JobId) ?? Task.CompletedTask;
        Task mine = RecordAfterAsync(previous, entry);
        _recording[entry.JobId] = mine;
        try
        {
            await mine;
        }
        finally
        {
            if (_recording.TryGetValue(entry.JobId, out Task? last) && last == mine)
            {
                _recording.Remove(entry.JobId);
            }
        }
    }

    private async Task RecordAfterAsync(Task previous, JobIndexEntry entry)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        if (_removing.Contains(entry.JobId))
        {
            return; // being removed (RemoveAsync)
        }
        JobIndexEntry updated;
        if (_jobs.TryGetValue(entry.JobId, out JobIndexEntry? known))
        {
            if (known.Phase == entry.Phase && known.FinishedAt == entry.FinishedAt)
            {
                return;
            }
            updated = known with { Phase = entry.Phase, FinishedAt = entry.FinishedAt };
        }
        else
        {
            updated = entry with { Sequence = _nextSequence++ };
        }
        // Stored first, then in memory: a failed write leaves the index as the store has it.
        await store.SaveAsync(updated);
        _jobs[entry.JobId] = updated;
        if (!string.IsNullOrEmpty(updated.IdempotencyKey) && !_keys.ContainsKey(updated.IdempotencyKey))
        {
            _keys[updated.IdempotencyKey] = await store.BindKeyAsync(updated.IdempotencyKey, updated.JobId);
        }
    }

    /// <inheritdoc />
    public Task<JobPage> ListAsync(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<JobIndexEntry> matching = _jobs.Values
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
        IReadOnlyList<string> expired = _jobs.Values
            .Where(j => j.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled && (j.FinishedAt ?? j.SubmittedAt) <= finishedBefore)
            .OrderBy(j => j.FinishedAt ?? j.SubmittedAt)
            .Take(Math.Max(0, max))
            .Select(j => j.JobId)
            .ToArray();
        return Task.FromResult(expired);
    }

    /// <inheritdoc />
    public Task<string?> FindByKeyAsync(string idempotencyKey)
        => Task.FromResult(_keys.TryGetValue(idempotencyKey, out string? jobId) ? jobId : null);

    /// <inheritdoc />
    public async Task<string> ClaimKeyAsync(string idempotencyKey, string jobId)
    {
        if (_keys.TryGetValue(idempotencyKey, out string? owner))
        {
            return owner;
        }
        // One call at a time (a grain), and the store binds only an unbound key: exactly one job per key.
        string bound = await store.BindKeyAsync(idempotencyKey, jobId);
        _keys[idempotencyKey] = bound;
        return bound;
    }

    /// <inheritdoc />
    public async Task ReleaseKeyAsync(string idempotencyKey, string jobId)
    {
        if (_keys.TryGetValue(idempotencyKey, out string? owner) && owner == jobId
            && !(_jobs.TryGetValue(jobId, out JobIndexEntry? listed) && listed.IdempotencyKey == idempotencyKey))
        {
            await store.UnbindKeyAsync(idempotencyKey);
            _keys.Remove(idempotencyKey);
        }
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string jobId)
    {
        // A record of this job being stored, or arriving while it is removed, would list it again: the first is waited
        // for, the second skipped (records interleave with this call).
        _removing.Add(jobId);
        try
        {
            if (_recording.TryGetValue(jobId, out Task? recording))
            {
                await recording.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            }
            await RemoveStoredAsync(jobId);
        }
        finally
        {
            _removing.Remove(jobId);
        }
    }

    private async Task RemoveStoredAsync(string jobId)
    {
        foreach (string key in _keys.Where(k => k.Value == jobId).Select(k => k.Key).ToArray())
        {
            await store.UnbindKeyAsync(key);
            _keys.Remove(key);
        }
        if (_jobs.ContainsKey(jobId))
        {
            await store.RemoveAsync(jobId);
            _jobs.Remove(jobId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "job index: an entry cannot be read and is skipped ({Detail})")]
    private static partial void LogUnreadable(ILogger logger, string detail);
}
