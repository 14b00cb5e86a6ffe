using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>
/// A Gaussian video whose every latent cell is a stationary AR(1) process over frames: unit variance, zero mean,
/// <c>corr(x_t, x_t') = rho^|t - t'|</c>, cells independent. Its exact velocity is known for any contiguous window
/// (a window sees only its own frames, as a real model does), with or without clean frames given inside it, so
/// windowing has a ruler: the true lag-1 correlation at every join is <see cref="Rho"/>.
/// </summary>
public sealed class Ar1Video
{
    /// <summary>Creates the process.</summary>
    /// <exception cref="ArgumentOutOfRangeException">rho is outside (-1, 1).</exception>
    public Ar1Video(double rho)
    {
        if (!(rho > -1 && rho < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "rho must be in (-1, 1).");
        }
        Rho = rho;
    }

    /// <summary>Lag-1 correlation between consecutive frames.</summary>
    public double Rho { get; }

    /// <summary>The frame covariance of <paramref name="frames"/> consecutive frames, <c>rho^|i - j|</c>, float64.</summary>
    public Tensor Covariance(int frames)
    {
        var values = new double[frames, frames];
        for (int i = 0; i < frames; i++)
        {
            for (int j = 0; j < frames; j++)
            {
                values[i, j] = Math.Pow(Rho, Math.Abs(i - j));
            }
        }
        return tensor(values, ScalarType.Float64);
    }

    /// <summary>The exact velocity field of one window's frames, conditioned on the clean frames given inside it.</summary>
    public IVelocityField Window(TemporalWindow window, FrameConditioning? conditioning = null) => new Ar1WindowField(this, window.Length, conditioning);

    /// <summary>The exact velocity field of a whole video of <paramref name="frames"/> frames.</summary>
    public IVelocityField Whole(int frames, FrameConditioning? conditioning = null) => new Ar1WindowField(this, frames, conditioning);

    /// <summary>Exact samples <c>[n, ...sampleShape]</c> with <c>sampleShape = [C, F, ...]</c>, float32.</summary>
    public Tensor Sample(int n, long[] sampleShape, long seed)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        long[] shape = new[] { (long)n }.Concat(sampleShape).ToArray();
        Tensor innovations = randn(shape, dtype: ScalarType.Float64, generator: generator);
        var frames = new List<Tensor> { innovations.select(2, 0) };
        double scale = Math.Sqrt(1 - Rho * Rho);
        for (int t = 1; t < sampleShape[1]; t++)
        {
            frames.Add(Rho * frames[^1] + scale * innovations.select(2, t));
        }
        return stack(frames, 2).to(ScalarType.Float32).DetachFromDisposeScope();
    }
}
