using Loom.Sampling.Fields;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>How good a set of samples is under a known mixture.</summary>
/// <param name="MeanLogDensity">Mean exact <c>log p(x)</c> of the samples.</param>
/// <param name="WithinTwoSd">Share of samples whose RMS per-dimension z-score to their nearest mode is at most 2.</param>
/// <param name="Spread">Mean RMS per-dimension z-score to the nearest mode: about 1 for exact samples, below 1 when samples crowd their modes.</param>
/// <param name="ModeShareDistance">
/// Total-variation distance between the share of samples nearest each mode and the mixture weights: 0 when the
/// samples cover the modes in the right proportions, up to 1 when they collapse onto modes the data rarely visits.
/// </param>
public sealed record MixtureSampleQuality(double MeanLogDensity, double WithinTwoSd, double Spread, double ModeShareDistance)
{
    /// <summary>Measures <paramref name="samples"/> (<c>[n, ...]</c>, D values each) under <paramref name="mixture"/>.</summary>
    public static MixtureSampleQuality Measure(GaussianMixture mixture, Tensor samples)
    {
        return TensorBlock.Read(() =>
        {
            Tensor x = samples.reshape(samples.shape[0], -1).to(ScalarType.Float64);
            double meanLogDensity = mixture.LogDensity(x).mean().item<double>();
            Tensor nearest = mixture.NearestComponent(x);
            Tensor stds = tensor(mixture.Stds.ToArray(), ScalarType.Float64).index_select(0, nearest);
            Tensor rmsZ = (x - mixture.Means.index_select(0, nearest)).square().mean([1]).sqrt() / stds;
            double within = rmsZ.le(2.0).to(ScalarType.Float64).mean().item<double>();
            double[] shares = nearest.bincount(null, mixture.Components).to(ScalarType.Float64).div(x.shape[0]).data<double>().ToArray();
            double distance = 0.5 * shares.Zip(mixture.Weights, (a, b) => Math.Abs(a - b)).Sum();
            return new MixtureSampleQuality(meanLogDensity, within, rmsZ.mean().item<double>(), distance);
        });
    }
}
