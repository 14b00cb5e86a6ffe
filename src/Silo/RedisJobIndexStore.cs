using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>
/// The job index in Redis (cluster mode): the hash <c>{prefix}index:jobs</c> holds one field per job (its entry as JSON),
/// the hash <c>{prefix}index:keys</c> one field per idempotency key (the job id). An update sets one field; a key is bound
/// with HSETNX, so even two activations of the index could not bind one key to two jobs.
/// </summary>
public sealed class RedisJobIndexStore(IConnectionMultiplexer redis, string prefix) : IJobIndexStore
{
    private RedisKey Jobs => $"{prefix}index:jobs";

    private RedisKey Keys => $"{prefix}index:keys";

    /// <inheritdoc />
    public async Task<JobIndexContents> LoadAsync(CancellationToken cancellationToken = default)
    {
        IDatabase db = redis.GetDatabase();
        var jobs = new List<JobIndexEntry>();
        var unreadable = new List<string>();
        foreach (HashEntry field in await db.HashGetAllAsync(Jobs).ConfigureAwait(false))
        {
            try
            {
                jobs.Add(JobIndexRecords.Read((byte[])field.Value!));
            }
            catch (InvalidDataException e)
            {
                unreadable.Add($"{Jobs} field '{field.Name}': {e.Message}");
            }
        }
        var keys = (await db.HashGetAllAsync(Keys).ConfigureAwait(false)).ToDictionary(f => (string)f.Name!, f => (string)f.Value!, StringComparer.Ordinal);
        return new JobIndexContents(jobs, keys, unreadable);
    }

    /// <inheritdoc />
    public Task SaveAsync(JobIndexEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return redis.GetDatabase().HashSetAsync(Jobs, entry.JobId, JobIndexRecords.Write(entry));
    }

    /// <inheritdoc />
    public Task RemoveAsync(string jobId, CancellationToken cancellationToken = default) => redis.GetDatabase().HashDeleteAsync(Jobs, jobId);

    /// <inheritdoc />
    public async Task<string> BindKeyAsync(string key, string jobId, CancellationToken cancellationToken = default)
    {
        IDatabase db = redis.GetDatabase();
        if (await db.HashSetAsync(Keys, key, jobId, When.NotExists).ConfigureAwait(false))
        {
            return jobId;
        }
        return (string?)await db.HashGetAsync(Keys, key).ConfigureAwait(false) ?? jobId;
    }

    /// <inheritdoc />
    public Task UnbindKeyAsync(string key, CancellationToken cancellationToken = default) => redis.GetDatabase().HashDeleteAsync(Keys, key);
}
