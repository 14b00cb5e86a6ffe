namespace Loom.Contracts.Shards;

/// <summary>
/// One chunk of a job's decode plan, sent to a shard that hosts the job's model: latent frames <c>[WarmUpStart, LatentEnd)</c>
/// of the final latent, decoded as one stream whose frames before <c>LatentStart</c> only warm the decoder's causal cache.
/// Idempotent: any shard holding the model gives the same bytes.
/// </summary>
/// <param name="JobId">The job asking (for logs).</param>
/// <param name="Model">Model name.</param>
/// <param name="WarmUpStart">First latent frame sent (the stream starts at the video's first frame when 0).</param>
/// <param name="LatentStart">First latent frame whose video frames are kept.</param>
/// <param name="Shape">Shape of <paramref name="Latent"/>: <c>[1, C, LatentEnd - WarmUpStart, h, w]</c>.</param>
/// <param name="Latent">The latent frames, float32.</param>
[GenerateSerializer, Alias("loom.decode-request"), Immutable]
public sealed record DecodeRequest(string JobId, string Model, int WarmUpStart, int LatentStart, long[] Shape, WireTensor Latent);
