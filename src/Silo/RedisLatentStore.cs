using Loom.Contracts.Storage;
using Loom.Grains.Storage;
using StackExchange.Redis;

namespace Loom.Silo;

/// <summary>
/// Checkpoints in Redis (cluster mode): one binary value per job under <c>{prefix}latent:{jobId}</c>, and its epoch under
/// <c>{prefix}latent-epoch:{jobId}</c>, compared and set in one script so a superseded job loop cannot write. A deleted
/// checkpoint leaves its epoch for a week, long after any loop of the job could still be running.
/// </summary>
public sealed class RedisLatentStore(IConnectionMultiplexer redis, string prefix) : ILatentStore
{
    /// <summary>How long the epoch of a deleted checkpoint is kept.</summary>
    public static readonly TimeSpan TombstoneLife = TimeSpan.FromDays(7);

    // KEYS: latent, epoch. ARGV: value (empty: delete), epoch, tombstone seconds. Returns the stored epoch if it is
    // higher (nothing written), else -1.
    private const string FencedSet = """
        local stored = tonumber(redis.call('GET', KEYS[2]) or '-9007199254740992')
        local epoch = tonumber(ARGV[2])
        if stored > epoch then return stored end
        if ARGV[1] == '' then
          redis.call('DEL', KEYS[1])
          redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
        else
          redis.call('SET', KEYS[1], ARGV[1])
          redis.call('SET', KEYS[2], ARGV[2])
        end
        return -1
        """;

    /// <inheritdoc />
    public async Task SaveAsync(string jobId, LatentCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        long stored = await SetAsync(jobId, checkpoint.ToBytes(), checkpoint.Epoch).ConfigureAwait(false);
        if (stored >= 0)
        {
            throw new StaleCheckpointException(jobId, checkpoint.Epoch, stored);
        }
    }

    /// <inheritdoc />
    public async Task<LatentCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        RedisValue value = await redis.GetDatabase().StringGetAsync(Key(jobId)).ConfigureAwait(false);
        return value.IsNull ? null : LatentCheckpoint.FromBytes((byte[])value!);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string jobId, long epoch, CancellationToken cancellationToken = default) => SetAsync(jobId, [], epoch);

    private async Task<long> SetAsync(string jobId, byte[] value, long epoch)
    {
        RedisResult result = await redis.GetDatabase().ScriptEvaluateAsync(FencedSet, [Key(jobId), $"{prefix}latent-epoch:{jobId}"],
            [value, epoch, (long)TombstoneLife.TotalSeconds]).ConfigureAwait(false);
        return (long)result;
    }

    private RedisKey Key(string jobId) => $"{prefix}latent:{jobId}";
}
