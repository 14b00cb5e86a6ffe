using Loom.Grains.Storage;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>Result files in Redis (cluster mode): one binary value per job under <c>{prefix}result:{jobId}</c>.</summary>
public sealed class RedisResultStore(IConnectionMultiplexer redis, string prefix) : IResultStore
{
    /// <inheritdoc />
    public Task SaveAsync(string jobId, byte[] result, CancellationToken cancellationToken = default)
        => redis.GetDatabase().StringSetAsync($"{prefix}result:{jobId}", result);

    /// <inheritdoc />
    public async Task<byte[]?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        RedisValue value = await redis.GetDatabase().StringGetAsync($"{prefix}result:{jobId}").ConfigureAwait(false);
        return value.IsNull ? null : (byte[])value!;
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default)
        => redis.GetDatabase().KeyDeleteAsync($"{prefix}result:{jobId}");
}
