using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The state carried from one time chunk to the next while the encoder or decoder streams through a video (the
/// official <c>feat_cache</c>): for every causal convolution the last frames of its input, in the order the
/// convolutions run (kept per convolution, since a temporal upsampler skips its convolution on the first chunk), plus whether the chunk being run starts the stream (the official first chunk, where the temporal
/// resamplers pass their single frame through). Tensors kept here live outside any dispose scope until replaced or disposed.
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private readonly Dictionary<object, Tensor> _slots = new(ReferenceEqualityComparer.Instance);

    /// <summary>Whether the chunk being run is the first of the stream.</summary>
    public bool First { get; private set; }

    /// <summary>Starts a chunk.</summary>
    public void Begin(bool first) => First = first;

    /// <summary>
    /// The history of <paramref name="owner"/>: <paramref name="frames"/> frames shaped like <paramref name="like"/> (zeros before
    /// the stream starts, as the causal padding is), and stores the last <paramref name="frames"/> frames of
    /// <c>cat(history, x)</c> for the next chunk. Returns <c>cat(history, x)</c>.
    /// </summary>
    public Tensor Extend(object owner, Tensor x, int frames)
    {
        if (!_slots.TryGetValue(owner, out Tensor? history))
        {
            long[] shape = [.. x.shape];
            shape[2] = frames;
            history = torch.zeros(shape, x.dtype, x.device);
        }
        Tensor extended = cat([history, x], 2);
        Tensor kept = extended.narrow(2, extended.shape[2] - frames, frames).clone();
        kept.DetachFromDisposeScope();
        history.Dispose();
        _slots[owner] = kept;
        return extended;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Tensor t in _slots.Values)
        {
            t.Dispose();
        }
        _slots.Clear();
    }
}
