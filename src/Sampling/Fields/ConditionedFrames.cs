using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Fields;

/// <summary>
/// Image- or video-to-world conditioning: some latent frames are given clean. Their velocity is replaced by
/// <c>(z - x0_given) / s</c>, so the sampler's <c>x0 = z - s v</c> is the given frames there (to rounding),
/// their uncertainty is 0, and the Euler step keeps them on the path <c>(1 - s) x0_given + s eps</c>.
/// </summary>
public sealed class ConditionedFrames : IVelocityField, IDisposable
{
    private readonly IVelocityField _inner;
    private readonly Tensor _given;
    private readonly Tensor _frameMask;

    /// <summary>
    /// Conditions <paramref name="inner"/> on <paramref name="given"/> at the frames flagged in <paramref name="frames"/>.
    /// </summary>
    /// <param name="inner">The model's own velocity field.</param>
    /// <param name="given">Clean latent <c>[B, C, F, ...]</c> (B may be 1 to broadcast); values off the given frames are unused. Copied.</param>
    /// <param name="frames">For each of the F latent frames, whether it is given.</param>
    /// <param name="frameDimension">The frame axis of the latent (2 for <c>[B, C, F, H, W]</c>).</param>
    public ConditionedFrames(IVelocityField inner, Tensor given, IReadOnlyList<bool> frames, int frameDimension = 2)
    {
        if (given.dim() <= frameDimension)
        {
            throw new ArgumentException($"given latent has {given.dim()} dimensions; the frame axis {frameDimension} is missing.", nameof(given));
        }
        if (given.shape[frameDimension] != frames.Count)
        {
            throw new ArgumentException($"frames has {frames.Count} entries but the latent has {given.shape[frameDimension]} frames.", nameof(frames));
        }
        _inner = inner;
        Frames = frames.ToArray();
        FrameDimension = frameDimension;
        var maskShape = Enumerable.Repeat(1L, (int)given.dim()).ToArray();
        maskShape[frameDimension] = frames.Count;
        using (no_grad())
        {
            _given = given.detach().clone().DetachFromDisposeScope();
            _frameMask = tensor(frames.ToArray(), device: given.device).reshape(maskShape).DetachFromDisposeScope();
        }
    }

    /// <summary>For each latent frame, whether it is given.</summary>
    public IReadOnlyList<bool> Frames { get; }

    /// <summary>The frame axis of the latent.</summary>
    public int FrameDimension { get; }

    /// <inheritdoc />
    public async Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        Prediction inner = await _inner.PredictAsync(z, context, cancellationToken).ConfigureAwait(false);
        using (inner)
        {
            return inner with { Velocity = Replace(z, inner.Velocity, _given, _frameMask, context.Sigma) };
        }
    }

    /// <summary>
    /// <paramref name="velocity"/> with the given frames' velocity replaced by <c>(z - given) / s</c>; elementwise, so a
    /// window of the latent with its slices of <paramref name="given"/> and <paramref name="frameMask"/> gets the same bits.
    /// </summary>
    internal static Tensor Replace(Tensor z, Tensor velocity, Tensor given, Tensor frameMask, double sigma) => TensorBlock.Run(() =>
    {
        using Scalar s = sigma.ToScalar();
        return where(frameMask, HeldScalars.Sub(z, given.to(z.dtype)).div(s), velocity);
    });

    /// <inheritdoc />
    public void Dispose()
    {
        _given.Dispose();
        _frameMask.Dispose();
    }
}
