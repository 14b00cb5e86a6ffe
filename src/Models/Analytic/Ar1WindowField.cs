using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>
/// The exact velocity of an AR(1) window of L frames. Free frames R, given clean frames G: the free frames are
/// Gaussian given x_G with mean <c>m = S_RG S_GG^-1 x_G</c> and covariance <c>S = S_RR - S_RG S_GG^-1 S_GR</c>; under
/// <c>z = a x0 + s eps</c> (a = 1 - s) the posterior mean of <c>eps - x0</c> is
/// <c>(s I - a S)(a^2 S + s^2 I)^-1 (z_R - a m) - m</c>. Given frames get <c>(z - x_G) / s</c>.
/// </summary>
internal sealed class Ar1WindowField : IVelocityField
{
    private const int FrameAxis = WindowFusion.FrameAxis;

    private readonly long[] _free;
    private readonly long[] _given;
    private readonly Tensor _conditionalCovariance; // S, [R, R]
    private readonly Tensor? _regression;           // S_RG S_GG^-1, [R, G]
    private readonly Tensor? _clean;                // given clean frames, [B, C, G, ...], float64

    public Ar1WindowField(Ar1Video process, int frames, FrameConditioning? conditioning)
    {
        bool[] given = conditioning?.Given.ToArray() ?? new bool[frames];
        if (given.Length != frames)
        {
            throw new ArgumentException($"conditioning flags {given.Length} frames; the window has {frames}.", nameof(conditioning));
        }
        _free = Enumerable.Range(0, frames).Where(f => !given[f]).Select(f => (long)f).ToArray();
        _given = Enumerable.Range(0, frames).Where(f => given[f]).Select(f => (long)f).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor sigma = process.Covariance(frames);
        Tensor free = tensor(_free), known = tensor(_given);
        Tensor rr = sigma.index_select(0, free).index_select(1, free);
        if (_given.Length == 0)
        {
            _conditionalCovariance = rr.DetachFromDisposeScope();
            return;
        }
        Tensor rg = sigma.index_select(0, free).index_select(1, known);
        Tensor gg = sigma.index_select(0, known).index_select(1, known);
        Tensor regression = matmul(rg, linalg.inv(gg));
        _regression = regression.DetachFromDisposeScope();
        _conditionalCovariance = (rr - matmul(regression, rg.t())).DetachFromDisposeScope();
        _clean = conditioning!.Clean.to(ScalarType.Float64).index_select(FrameAxis, known).DetachFromDisposeScope();
    }

    public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        double s = context.Sigma, a = 1 - s;
        Tensor velocity = TensorBlock.Run(() =>
        {
            Tensor z64 = z.to(ScalarType.Float64);
            Tensor v = zeros_like(z64);
            if (_free.Length > 0)
            {
                Tensor free = tensor(_free);
                Tensor zr = z64.index_select(FrameAxis, free);
                Tensor mean = _regression is null ? zeros_like(zr) : ApplyAlongFrames(_regression, _clean!.expand(Shape(z, _given.Length)));
                Tensor eye = torch.eye(_free.Length, dtype: ScalarType.Float64);
                Tensor gain = matmul(s * eye - a * _conditionalCovariance, linalg.inv(a * a * _conditionalCovariance + s * s * eye));
                v = v.index_copy(FrameAxis, free, ApplyAlongFrames(gain, zr - a * mean) - mean);
            }
            if (_given.Length > 0)
            {
                Tensor known = tensor(_given);
                v = v.index_copy(FrameAxis, known, (z64.index_select(FrameAxis, known) - _clean!) / s);
            }
            return v.to(z.dtype);
        });
        return Task.FromResult(new Prediction(velocity, 1));
    }

    /// <summary>Applies a frame-mixing matrix <c>[out, in]</c> along the frame axis of <c>[B, C, in, ...]</c>.</summary>
    private static Tensor ApplyAlongFrames(Tensor matrix, Tensor x) => matmul(x.movedim([FrameAxis], [-1]), matrix.t()).movedim([-1], [FrameAxis]);

    private static long[] Shape(Tensor z, int frames)
    {
        long[] shape = (long[])z.shape.Clone();
        shape[FrameAxis] = frames;
        return shape;
    }
}
