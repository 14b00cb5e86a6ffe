using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// How to decode a long latent video in independent pieces that can run on different shards and still give exactly
/// the sequential decode: consecutive chunks of latent frames, each preceded by <see cref="WarmUp"/> latent frames of
/// warm-up (<see cref="WanVae.ExactWarmUp"/> for an exact result). <see cref="Stitch"/> joins the decoded pieces.
/// </summary>
/// <param name="LatentFrames">Latent frames of the whole video.</param>
/// <param name="WarmUp">Warm-up latent frames before each chunk (fewer where the video starts sooner).</param>
/// <param name="Chunks">The pieces, in order; their frame ranges tile the video.</param>
public sealed record WanVaeDecodePlan(int LatentFrames, int WarmUp, IReadOnlyList<WanVaeDecodeChunk> Chunks)
{
    /// <summary>Video frames of the whole decode.</summary>
    public int VideoFrames => Chunks.Count == 0 ? 0 : Chunks[^1].FrameEnd;

    /// <summary>Latent frames the decoders run in all, warm-ups included (the sequential decode runs <see cref="LatentFrames"/>).</summary>
    public int DecodedLatents => Chunks.Sum(c => c.InputLatents);

    /// <summary>
    /// Cuts <paramref name="latentFrames"/> into chunks of <paramref name="chunkLatents"/> (the last may be shorter),
    /// each with <paramref name="warmUp"/> frames of warm-up; <paramref name="temporalStride"/> video frames per
    /// latent frame after the first.
    /// </summary>
    public static WanVaeDecodePlan Create(int latentFrames, int chunkLatents, int warmUp, int temporalStride)
    {
        if (latentFrames < 1)
        {
            throw new ArgumentException($"latentFrames must be at least 1, got {latentFrames}.", nameof(latentFrames));
        }
        if (chunkLatents < 1)
        {
            throw new ArgumentException($"chunkLatents must be at least 1, got {chunkLatents}.", nameof(chunkLatents));
        }
        if (warmUp < 0)
        {
            throw new ArgumentException($"warmUp must not be negative, got {warmUp}.", nameof(warmUp));
        }
        int Frame(int latent) => latent == 0 ? 0 : 1 + temporalStride * (latent - 1);
        var chunks = new List<WanVaeDecodeChunk>();
        for (int start = 0; start < latentFrames; start += chunkLatents)
        {
            int end = Math.Min(latentFrames, start + chunkLatents);
            chunks.Add(new WanVaeDecodeChunk(chunks.Count, Math.Max(0, start - warmUp), start, end, Frame(start), Frame(end)));
        }
        return new WanVaeDecodePlan(latentFrames, warmUp, chunks);
    }

    /// <summary>Joins the chunks' frames <c>[B, 3, frames, H, W]</c> (in plan order) into the whole video.</summary>
    /// <exception cref="ArgumentException">A piece is missing or has the wrong number of frames; the message names it.</exception>
    public Tensor Stitch(IReadOnlyList<Tensor> pieces)
    {
        if (pieces.Count != Chunks.Count)
        {
            throw new ArgumentException($"pieces: {pieces.Count} decoded chunks for a plan of {Chunks.Count}.", nameof(pieces));
        }
        for (int i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].shape.Length != 5 || pieces[i].shape[2] != Chunks[i].Frames)
            {
                throw new ArgumentException($"pieces[{i}]: [{string.Join(", ", pieces[i].shape)}], expected [B, 3, {Chunks[i].Frames}, H, W] for chunk {i}.", nameof(pieces));
            }
        }
        return cat(pieces.ToArray(), 2);
    }
}
