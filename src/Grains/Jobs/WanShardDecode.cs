using System.Diagnostics;
using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Models.Wan.Vae;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// A Wan job's final decode spread over the pool (issue 11's decode plan): the latent cut into chunks of latent frames, each
/// fed after the VAE's exact warm-up (<see cref="WanVae.ExactWarmUp"/>), sent to the shards that hold the job's model
/// (round robin, all at once) and joined in order on the job's silo. A chunk runs the same code wherever it runs
/// (<see cref="WanVae.DecodeChunk"/>, then 8-bit), so the video has the same bytes as this silo decoding the plan alone;
/// a chunk whose shard fails, or every chunk when no shard holds the model, is decoded here.
/// </summary>
public sealed partial class WanShardDecode(IGrainFactory grains, ShardRouter router, ILogger<WanShardDecode> logger)
{
    /// <summary>
    /// Decodes <paramref name="latent"/> <c>[1, 16, T, h, w]</c> of job <paramref name="jobId"/> in chunks of
    /// <paramref name="chunkLatents"/> latent frames: 8-bit RGB <c>[F, H, W, 3]</c>.
    /// </summary>
    public async Task<byte[]> DecodeAsync(string jobId, string model, WanJobModel job, Tensor latent, int chunkLatents, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        WanVaeDecodePlan plan = job.Vae.PlanDecode((int)latent.shape[2], chunkLatents);
        ShardInfo[] hosts = (await router.ShardsAsync(cancellationToken)).Where(s => s.Models.Contains(model)).OrderBy(s => s.ShardId, StringComparer.Ordinal).ToArray();
        var inputs = new Tensor[plan.Chunks.Count];
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = plan.Chunks[i].InputOf(latent).to(ScalarType.Float32).contiguous();
            }
            var pieces = plan.Chunks.Select((chunk, i) => hosts.Length == 0
                ? Task.Run(() => (Rgb: DecodeHere(job, inputs[i], chunk), Shard: "here"), cancellationToken)
                : OnShardAsync(jobId, model, job, inputs[i], chunk, hosts[i % hosts.Length].ShardId, cancellationToken)).ToArray();
            var done = await Task.WhenAll(pieces);
            byte[] rgb = done.SelectMany(p => p.Rgb).ToArray();
            LogDecoded(logger, jobId, plan.VideoFrames, plan.Chunks.Count, chunkLatents, plan.WarmUp, string.Join(", ", done.Select(p => p.Shard)), clock.Elapsed.TotalSeconds);
            return rgb;
        }
        finally
        {
            foreach (Tensor? input in inputs)
            {
                input?.Dispose();
            }
        }
    }

    private async Task<(byte[] Rgb, string Shard)> OnShardAsync(string jobId, string model, WanJobModel job, Tensor input, WanVaeDecodeChunk chunk, string shard, CancellationToken cancellationToken)
    {
        var request = new DecodeRequest(jobId, model, chunk.WarmUpStart, chunk.LatentStart, input.shape, WireCodec.Encode(input, WirePrecision.Float32));
        try
        {
            // WaitAsync: a hung silo may never answer the call's cancellation.
            DecodeResult result = await grains.GetGrain<IShardGrain>(shard).DecodeAsync(request, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            long bytes = (long)chunk.Frames * input.shape[3] * input.shape[4] * 64 * 3; // 8x8 pixels per latent cell
            if (result.Frames != chunk.Frames || result.Rgb.Length != bytes)
            {
                throw new InvalidDataException($"shard {shard} decoded chunk {chunk.Index} to {result.Frames} frames ({result.Rgb.Length} bytes), expected {chunk.Frames} ({bytes}).");
            }
            return (result.Rgb, shard);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogChunkHere(logger, jobId, chunk.Index, shard, e.GetType().Name, e.Message);
            return (await Task.Run(() => DecodeHere(job, input, chunk), cancellationToken).ConfigureAwait(false), "here");
        }
    }

    /// <summary>One chunk decoded with this silo's VAE, as a shard decodes it (<see cref="Models.Wan.Serving.WanShardModel"/>).</summary>
    private static byte[] DecodeHere(WanJobModel job, Tensor input, WanVaeDecodeChunk chunk)
    {
        lock (job.Gate)
        {
            using (no_grad())
            using (NewDisposeScope())
            {
                using Tensor frames = job.Vae.DecodeChunk(input, chunk);
                return WanVae.ToUInt8(frames)[0].bytes.ToArray();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: decoded {Frames} frames in {Chunks} chunks of {ChunkLatents} latent frames (warm-up {WarmUp}) on {Shards} in {Seconds:0.000} s")]
    private static partial void LogDecoded(ILogger logger, string jobId, int frames, int chunks, int chunkLatents, int warmUp, string shards, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: decode chunk {Chunk} failed on shard {Shard} ({Error}: {Message}); decoded here")]
    private static partial void LogChunkHere(ILogger logger, string jobId, int chunk, string shard, string error, string message);
}
