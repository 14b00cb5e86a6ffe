namespace Loom.Contracts.Shards;

/// <summary>
/// One window evaluation: the unit of distributed work. (model, window latent, sigma, conditioning, guidance) in,
/// velocity out; idempotent, so it can be retried on any shard. The latent travels in the job's wire precision.
/// </summary>
/// <param name="JobId">The job asking (for logs and cancellation).</param>
/// <param name="Model">Model name.</param>
/// <param name="Priority">The job's priority: a shard serves higher first.</param>
/// <param name="Exact">True: evaluate alone (batching changes float rounding).</param>
/// <param name="Step">Outer step (for logs).</param>
/// <param name="Iteration">Refinement iteration (for logs).</param>
/// <param name="Sigma">Noise level of the latent.</param>
/// <param name="Guidance">Classifier-free guidance scale.</param>
/// <param name="Shape">Latent shape <c>[b, 3, L, H, W]</c>.</param>
/// <param name="Latent">Latent values; the velocity comes back in the same precision.</param>
/// <param name="ConditioningKey">Content hash of the window's given frames; null when none are given.</param>
/// <param name="Conditioning">The given frames, sent when the shard may not have them cached; else null.</param>
/// <param name="Timestep">The timestep the model sees (Wan: the schedule's integer, which also picks Wan2.2's expert); null: <c>1000 Sigma</c>.</param>
/// <param name="WindowStart">The window's first latent frame in the video.</param>
/// <param name="Expert">
/// The expert of a several-expert model (Wan2.2 A14B: <c>high_noise</c> or <c>low_noise</c>) this evaluation needs, as the
/// job chose it from <see cref="Timestep"/>: placement prefers a shard holding it, and a shard loads only it. Null: the whole model.
/// </param>
[GenerateSerializer, Alias("loom.window-request"), Immutable]
public sealed record WindowRequest(
    string JobId,
    string Model,
    int Priority,
    bool Exact,
    int Step,
    int Iteration,
    double Sigma,
    double Guidance,
    long[] Shape,
    WireTensor Latent,
    string? ConditioningKey,
    WindowConditioning? Conditioning,
    double? Timestep = null,
    int WindowStart = 0,
    string? Expert = null)
{
    /// <summary>Requests with equal keys may share one forward pass (one expert's).</summary>
    public string BatchKey => Exact ? "" : $"{Model}|{Expert}|{string.Join('x', Shape[1..])}";
}
