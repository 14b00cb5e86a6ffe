using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// A layer of the VAE's encoder or decoder run on one time chunk, with the stream's <see cref="FeatureCache"/>, and
/// what it does to the temporal receptive field (used to derive the exact warm-up of a parallel decode).
/// </summary>
internal abstract class VaeLayer(string name) : nn.Module(name)
{
    /// <summary>Runs the layer on a chunk <c>[B, C, T, H, W]</c>.</summary>
    public abstract Tensor Run(Tensor x, FeatureCache cache);

    /// <summary>
    /// Moves the first frame whose value is exact when the stream was started late with zero history: before the
    /// layer it is <c>rate * s + lag</c> frames at the layer's input rate (s = the chunk's first latent frame); after it,
    /// at the output rate. Layers that look only at the current frame leave it as is.
    /// </summary>
    public virtual void Reach(ref long rate, ref long lag)
    {
    }
}
