using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>
/// A mixture of isotropic Gaussians in D dimensions, <c>p(x) = sum_k w_k N(x; mu_k, sd_k^2 I)</c>, with its exact
/// flow-matching velocity and log-density. It is the sampler's ruler: the ideal model is known in closed form,
/// so any error in a sample comes from the sampler, not from a network.
/// </summary>
/// <remarks>
/// Under <c>z = (1 - s) x0 + s eps</c>, component k gives <c>z ~ N((1 - s) mu_k, v_k I)</c> with
/// <c>v_k = (1 - s)^2 sd_k^2 + s^2</c>. The optimal velocity is the posterior mean of <c>eps - x0</c>:
/// <c>sum_k r_k(z) [ (s - (1 - s) sd_k^2) (z - (1 - s) mu_k) / v_k - mu_k ]</c>, with responsibilities
/// <c>r_k</c> from the component likelihoods. All of it is computed in float64 and handed back in the latent's dtype.
/// </remarks>
public sealed class GaussianMixture : IVelocityField, IDisposable
{
    private readonly Tensor _logWeights; // [K]
    private readonly Tensor _means;      // [K, D]
    private readonly Tensor _stds;       // [K]

    /// <summary>Creates the mixture; weights are normalised to sum to 1.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, a weight is not positive, or a standard deviation is not positive.</exception>
    public GaussianMixture(double[] weights, double[,] means, double[] stds)
    {
        int components = weights.Length;
        if (components == 0 || means.GetLength(0) != components || stds.Length != components)
        {
            throw new ArgumentException($"weights ({weights.Length}), means ({means.GetLength(0)} rows) and stds ({stds.Length}) must name the same components, at least one.");
        }
        if (weights.Any(w => !(w > 0) || !double.IsFinite(w)))
        {
            throw new ArgumentException("every weight must be a positive finite number.", nameof(weights));
        }
        if (stds.Any(sd => !(sd > 0) || !double.IsFinite(sd)))
        {
            throw new ArgumentException("every standard deviation must be a positive finite number.", nameof(stds));
        }
        Dimensions = means.GetLength(1);
        double total = weights.Sum();
        double[] normalised = weights.Select(w => w / total).ToArray();
        Weights = normalised;
        Stds = stds.ToArray();
        using (no_grad())
        {
            _logWeights = tensor(normalised, float64).log().DetachFromDisposeScope();
            _means = tensor(means, float64).DetachFromDisposeScope();
            _stds = tensor(stds, float64).DetachFromDisposeScope();
        }
    }

    /// <summary>Dimension D of one sample.</summary>
    public int Dimensions { get; }

    /// <summary>Number of components K.</summary>
    public int Components => Weights.Count;

    /// <summary>Mixture weights, summing to 1.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Per-component standard deviation.</summary>
    public IReadOnlyList<double> Stds { get; }

    /// <summary>Component means, <c>[K, D]</c> float64. Borrowed.</summary>
    public Tensor Means => _means;

    /// <summary>
    /// K well-separated modes on a random simplex-like layout: means drawn on a sphere of radius
    /// <paramref name="radius"/> and spread apart, unequal weights, equal standard deviation.
    /// </summary>
    public static GaussianMixture WellSeparated(int dimensions, int components, double radius, double std, long seed)
    {
        var random = new Random((int)seed);
        var means = new double[components, dimensions];
        var directions = new List<double[]>();
        for (int k = 0; k < components; k++)
        {
            // Best of 64 random directions: the one farthest from those already placed.
            double[] best = RandomUnit(random, dimensions);
            double bestGap = MinimumDistance(best, directions);
            for (int attempt = 0; attempt < 63; attempt++)
            {
                double[] candidate = RandomUnit(random, dimensions);
                double gap = MinimumDistance(candidate, directions);
                if (gap > bestGap)
                {
                    (best, bestGap) = (candidate, gap);
                }
            }
            directions.Add(best);
            for (int d = 0; d < dimensions; d++)
            {
                means[k, d] = radius * best[d];
            }
        }
        double[] weights = Enumerable.Range(0, components).Select(k => 1.0 + k).ToArray();
        return new GaussianMixture(weights, means, Enumerable.Repeat(std, components).ToArray());
    }

    /// <summary>Exact data samples: <c>[n, D]</c> float32, reproducible from <paramref name="seed"/>.</summary>
    public Tensor Sample(int n, long seed)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        Tensor component = multinomial(_logWeights.exp(), n, replacement: true, generator: generator);
        Tensor noise = randn([n, Dimensions], dtype: float64, generator: generator);
        Tensor x = _means.index_select(0, component) + _stds.index_select(0, component).unsqueeze(1) * noise;
        return x.to(float32).DetachFromDisposeScope();
    }

    /// <summary>Exact <c>log p(x)</c> of the data distribution for each row of <c>x [n, D]</c>, float64 <c>[n]</c>.</summary>
    public Tensor LogDensity(Tensor x) => TensorBlock.Run(() => ComponentLogLikelihood(x.reshape(x.shape[0], -1).to(float64), 0.0).logsumexp(1));

    /// <summary>Index of the component most responsible for each row of <c>x [n, D]</c> (posterior at sigma 0).</summary>
    public Tensor NearestComponent(Tensor x) => TensorBlock.Run(() => ComponentLogLikelihood(x.reshape(x.shape[0], -1).to(float64), 0.0).argmax(1));

    /// <inheritdoc />
    public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new Prediction(Velocity(z, context.Sigma), 1));
    }

    /// <summary>The exact velocity at noise level <paramref name="sigma"/> for any latent whose sample size is D.</summary>
    public Tensor Velocity(Tensor z, double sigma)
    {
        if (z.numel() != z.shape[0] * Dimensions)
        {
            throw new ArgumentException($"latent sample size {z.numel() / Math.Max(1, z.shape[0])} does not match the mixture's {Dimensions} dimensions.", nameof(z));
        }
        double s = sigma;
        double a = 1.0 - s;
        return TensorBlock.Run(() =>
        {
            Tensor flat = z.reshape(z.shape[0], -1).to(float64);                 // [n, D]
            Tensor responsibility = ComponentLogLikelihood(flat, s).softmax(1);  // [n, K]
            Tensor variance = a * a * _stds.square() + s * s;                    // [K]
            Tensor centred = flat.unsqueeze(1) - a * _means.unsqueeze(0);        // [n, K, D]
            Tensor gain = ((s - a * _stds.square()) / variance).reshape(1, -1, 1);
            Tensor perComponent = gain * centred - _means.unsqueeze(0);          // E[eps - x0 | z, k]
            Tensor velocity = (responsibility.unsqueeze(2) * perComponent).sum(1);
            return velocity.to(z.dtype).reshape(z.shape);
        });
    }

    /// <summary><c>log w_k + log N(z; (1 - s) mu_k, v_k I)</c> for each row and component, <c>[n, K]</c>.</summary>
    private Tensor ComponentLogLikelihood(Tensor flat, double s)
    {
        double a = 1.0 - s;
        Tensor variance = a * a * _stds.square() + s * s;                                  // [K]
        Tensor squared = (flat.unsqueeze(1) - a * _means.unsqueeze(0)).square().sum(2);    // [n, K]
        return _logWeights.unsqueeze(0) - 0.5 * squared / variance.unsqueeze(0)
            - 0.5 * Dimensions * (variance.log() + Math.Log(2 * Math.PI)).unsqueeze(0);
    }

    private static double[] RandomUnit(Random random, int dimensions)
    {
        var v = new double[dimensions];
        double norm = 0;
        for (int d = 0; d < dimensions; d++)
        {
            // Box-Muller: an isotropic direction.
            v[d] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            norm += v[d] * v[d];
        }
        norm = Math.Sqrt(norm);
        for (int d = 0; d < dimensions; d++)
        {
            v[d] /= norm;
        }
        return v;
    }

    private static double MinimumDistance(double[] candidate, List<double[]> placed)
    {
        double best = double.MaxValue;
        foreach (double[] other in placed)
        {
            double sum = 0;
            for (int d = 0; d < candidate.Length; d++)
            {
                sum += (candidate[d] - other[d]) * (candidate[d] - other[d]);
            }
            best = Math.Min(best, sum);
        }
        return best;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _logWeights.Dispose();
        _means.Dispose();
        _stds.Dispose();
    }
}
