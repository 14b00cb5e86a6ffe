using Loom.Models.Analytic;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

public sealed class GaussianMixtureTests
{
    private static readonly double[] Weights = [0.2, 0.5, 0.3];
    private static readonly double[,] Means = { { -3.0, 1.0 }, { 2.0, 2.0 }, { 0.5, -2.5 } };
    private static readonly double[] Stds = [0.4, 0.7, 0.3];

    [Theory]
    [InlineData(0.95)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void Velocity_matches_tweedie_from_the_finite_difference_score_of_the_noisy_marginal(double s)
    {
        // Independent route: E[eps|z] = -s grad log p_s(z), E[x0|z] = (z - s E[eps|z]) / (1 - s), v = E[eps] - E[x0].
        using var mixture = new GaussianMixture(Weights, Means, Stds);
        double[][] points = [[0.3, -0.4], [-2.5, 1.2], [1.0, 1.5], [4.0, -4.0]];
        using var z = tensor(points.SelectMany(p => p).ToArray(), float64).reshape(points.Length, 2);
        using var velocity = mixture.Velocity(z, s);
        double[] actual = velocity.data<double>().ToArray();
        const double h = 1e-5;
        for (int n = 0; n < points.Length; n++)
        {
            for (int d = 0; d < 2; d++)
            {
                double[] up = (double[])points[n].Clone(), down = (double[])points[n].Clone();
                up[d] += h;
                down[d] -= h;
                double score = (LogNoisyMarginal(up, s) - LogNoisyMarginal(down, s)) / (2 * h);
                double eps = -s * score;
                double x0 = (points[n][d] - s * eps) / (1 - s);
                Assert.Equal(eps - x0, actual[n * 2 + d], 5);
            }
        }
    }

    [Fact]
    public void Log_density_is_the_mixture_density_written_out()
    {
        using var mixture = new GaussianMixture(Weights, Means, Stds);
        double[] point = [1.7, 2.2];
        using var x = tensor(point, float64).reshape(1, 2);
        using var logp = mixture.LogDensity(x);
        Assert.Equal(LogNoisyMarginal(point, 0.0), logp.item<double>(), 10);
    }

    [Fact]
    public void Data_samples_follow_the_weights()
    {
        using var mixture = new GaussianMixture(Weights, Means, Stds);
        using var samples = mixture.Sample(20_000, seed: 3);
        using var nearest = mixture.NearestComponent(samples);
        long[] counts = nearest.bincount(null, 3).data<long>().ToArray();
        for (int k = 0; k < 3; k++)
        {
            Assert.InRange(counts[k] / 20_000.0, Weights[k] - 0.015, Weights[k] + 0.015);
        }
    }

    [Fact]
    public async Task Many_euler_steps_on_the_exact_velocity_reproduce_the_data_distribution()
    {
        using var mixture = new GaussianMixture(Weights, Means, Stds);
        var seeds = Enumerable.Range(0, 2000).Select(i => (long)i).ToArray();
        using SampleResult result = await new SelfRefiningSampler(mixture, FlowSchedule.Create(200, 1.0)).SampleAsync(seeds, [2]);
        using var data = mixture.Sample(2000, seed: 5);
        using var sampledDensity = mixture.LogDensity(result.Latent);
        using var dataDensity = mixture.LogDensity(data);
        Assert.Equal(dataDensity.mean().item<double>(), sampledDensity.mean().item<double>(), 1);
        using var nearest = mixture.NearestComponent(result.Latent);
        long[] counts = nearest.bincount(null, 3).data<long>().ToArray();
        for (int k = 0; k < 3; k++)
        {
            Assert.InRange(counts[k] / 2000.0, Weights[k] - 0.04, Weights[k] + 0.04);
        }
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new GaussianMixture([1.0, -1.0], Means, [1.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new GaussianMixture(Weights, Means, [1.0, 0.0, 1.0]));
        Assert.Throws<ArgumentException>(() => new GaussianMixture([1.0], Means, [1.0]));
    }

    /// <summary>log p_s(z) = log sum_k w_k N(z; (1 - s) mu_k, ((1 - s)^2 sd_k^2 + s^2) I), in plain doubles.</summary>
    private static double LogNoisyMarginal(double[] z, double s)
    {
        double total = 0;
        for (int k = 0; k < Weights.Length; k++)
        {
            double variance = (1 - s) * (1 - s) * Stds[k] * Stds[k] + s * s;
            double squared = 0;
            for (int d = 0; d < z.Length; d++)
            {
                double diff = z[d] - (1 - s) * Means[k, d];
                squared += diff * diff;
            }
            total += Weights[k] * Math.Exp(-0.5 * squared / variance) / Math.Pow(2 * Math.PI * variance, z.Length / 2.0);
        }
        return Math.Log(total);
    }
}
