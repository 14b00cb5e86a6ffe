namespace Loom.Contracts.Shards;

/// <summary>One device (a GPU, or a CPU worker), pinned to the silo that owns it. Key: <c>{silo}/{index}</c> (<c>ShardKey</c> in the grains).</summary>
[Alias("loom.shard")]
public interface IShardGrain : IGrainWithStringKey
{
    /// <summary>Evaluates one window; throws <see cref="ConditioningMissingException"/> when a conditioning key is unknown.</summary>
    [Alias("evaluate")]
    Task<WindowResult> EvaluateAsync(WindowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Decodes one chunk of a job's decode plan with the model's decoder (a Wan model's VAE), on the shard's device thread.</summary>
    [Alias("decode")]
    Task<DecodeResult> DecodeAsync(DecodeRequest request, CancellationToken cancellationToken = default);

    /// <summary>The shard's load and health now.</summary>
    [Alias("info")]
    Task<ShardInfo> GetInfoAsync();
}
