using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// One piece of a parallel decode: latent frames <c>[LatentStart, LatentEnd)</c> decoded after running the warm-up
/// frames <c>[WarmUpStart, LatentStart)</c> through the feature cache and dropping what they produce; the result is
/// video frames <c>[FrameStart, FrameEnd)</c>. A chunk whose warm-up reaches frame 0 decodes from the start of the
/// stream (frame 0 as the official first chunk) and is exact by construction.
/// </summary>
/// <param name="Index">Position in the plan.</param>
/// <param name="WarmUpStart">First latent frame fed in (warm-up included).</param>
/// <param name="LatentStart">First latent frame whose frames are kept.</param>
/// <param name="LatentEnd">One past the last latent frame.</param>
/// <param name="FrameStart">First video frame produced.</param>
/// <param name="FrameEnd">One past the last video frame produced.</param>
public sealed record WanVaeDecodeChunk(int Index, int WarmUpStart, int LatentStart, int LatentEnd, int FrameStart, int FrameEnd)
{
    /// <summary>Latent frames fed to the decoder: warm-up plus kept.</summary>
    public int InputLatents => LatentEnd - WarmUpStart;

    /// <summary>Latent frames run only to fill the cache.</summary>
    public int WarmUpLatents => LatentStart - WarmUpStart;

    /// <summary>Video frames produced.</summary>
    public int Frames => FrameEnd - FrameStart;

    /// <summary>Whether the input starts at latent frame 0 (decoded as the official first chunk).</summary>
    public bool StartsStream => WarmUpStart == 0;

    /// <summary>The chunk's input, latent frames <c>[WarmUpStart, LatentEnd)</c> of the whole latent <c>[B, C, T, h, w]</c>.</summary>
    public Tensor InputOf(Tensor latent) => latent.shape.Length == 5 && latent.shape[2] >= LatentEnd
        ? latent.narrow(2, WarmUpStart, InputLatents)
        : throw new ArgumentException($"latent must be [B, C, T, h, w] with T >= {LatentEnd} for chunk {Index}; got [{string.Join(", ", latent.shape)}].", nameof(latent));
}
