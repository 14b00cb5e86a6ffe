using Loom.Grains.Storage;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>Checkpoints in Redis (cluster mode): one binary value per job under <c>{prefix}latent:{jobId}</c>.</summary>
public sealed class RedisLatentStore(IConnectionMultiplexer redis, string prefix) : ILatentStore
{
    /// <inheritdoc />
    public Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default)
        => redis.GetDatabase().StringSetAsync(Key(jobId), checkpoint.ToBytes());

    /// <inheritdoc />
    public async Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        RedisValue value = await redis.GetDatabase().StringGetAsync(Key(jobId)).ConfigureAwait(false);
        return value.IsNull ? null : LatentCheckpoint.FromBytes((byte[])value!);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string jobId, CancellationToken cancellationToken = default)
        => redis.GetDatabase().KeyDeleteAsync(Key(jobId));

    private RedisKey Key(string jobId) => $"{prefix}latent:{jobId}";
}
