using TorchSharp;

namespace Loom.Models.Serving;

/// <summary>
/// A model socket that also decodes its latents to video (a latent model's VAE), so a long video's decode plan can be
/// spread over the shards that host the model. Called from the shard's one thread, between window batches.
/// </summary>
public interface IShardDecoder
{
    /// <summary>
    /// Decodes <paramref name="latents"/> <c>[1, C, n, h, w]</c> (latent frames <c>[warmUpStart, warmUpStart + n)</c> of a video, on
    /// the shard's device) as one stream, keeping the frames of latent frames from <paramref name="latentStart"/> on: 8-bit RGB
    /// <c>[frames, H, W, 3]</c> in host memory, exactly as the whole-video decode gives those frames when the warm-up is long enough.
    /// </summary>
    /// <exception cref="ArgumentException">The latents do not fit the decoder; the message names the field.</exception>
    torch.Tensor DecodeChunk(torch.Tensor latents, int warmUpStart, int latentStart);
}
