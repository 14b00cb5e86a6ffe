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

    /// <summary>Opens a window of a co-denoising job that stays on this shard for the job (resident windows).</summary>
    [Alias("resident-open")]
    Task ResidentOpenAsync(ResidentOpenRequest request);

    /// <summary>Runs one round of a resident window; cancellation reaches a round waiting for its neighbours.</summary>
    [Alias("resident-round")]
    Task<ResidentRoundResult> ResidentRoundAsync(ResidentRoundRequest request, CancellationToken cancellationToken = default);

    /// <summary>Delivers a neighbour's velocity over shared frames to a resident window here.</summary>
    [Alias("resident-halo")]
    Task ResidentHaloAsync(ResidentHalo halo);

    /// <summary>A resident window's latent after <paramref name="stepsDone"/> steps over the frames it answers for, float32, with its shape.</summary>
    [Alias("resident-frames")]
    Task<(long[] Shape, WireTensor Latent)> ResidentFramesAsync(ResidentJob job, int window, int stepsDone);

    /// <summary>Drops a job's resident windows on this shard's silo (idempotent).</summary>
    [Alias("resident-close")]
    Task ResidentCloseAsync(ResidentJob job);

    /// <summary>The shard's load and health now.</summary>
    [Alias("info")]
    Task<ShardInfo> GetInfoAsync();
}
