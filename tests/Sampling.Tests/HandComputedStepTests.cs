using Loom.Sampling.Noise;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>
/// One refined step on a [2, 2, 3] latent (batch 2, 2 channels, 3 cells) with v = a z + b, worked out from
/// docs/architecture.md §2 in plain doubles, cell by cell, with a tau that makes some cells certain and not others.
/// </summary>
public sealed class HandComputedStepTests
{
    private const double A = 0.5;
    private const double B = 0.1;
    private const int Batch = 2;
    private const int Channels = 2;
    private const int Cells = 3;

    [Fact]
    public async Task Refined_step_matches_the_equations_worked_by_hand()
    {
        long[] seeds = [5, 6];
        long[] shape = [Channels, Cells];
        var schedule = FlowSchedule.Create(4, 1.0); // sigmas 1, .75, .5, .25, 0
        const int step = 1;
        double s = schedule.Sigma(step), sNext = schedule.NextSigma(step);

        using var z = tensor(Enumerable.Range(0, Batch * Channels * Cells).Select(i => (float)(0.3 * i - 1.1)).ToArray()).reshape(Batch, Channels, Cells);
        double[] zv = Doubles(z);
        double[][] eps = [Doubles(DeterministicNoise.Batch(seeds, step, 1, shape)), Doubles(DeterministicNoise.Batch(seeds, step, 2, shape))];

        // Prediction 0 and the uncertainty of iteration 1, to place tau between two cells' values.
        double[] x0 = zv.Select(v => v - s * (A * v + B)).ToArray();
        double[] next = zv.Select(v => v + (sNext - s) * (A * v + B)).ToArray();
        double[] firstU = Uncertainty(Predict(Perturb(x0, eps[0], s), s, sNext).X0, x0);
        double[] sorted = firstU.OrderBy(u => u).ToArray();
        double tau = (sorted[2] + sorted[3]) / 2; // three of six cells certain after iteration 1

        var mask = new bool[Batch * Cells];
        for (int k = 1; k <= 2; k++)
        {
            var (x0New, nextNew) = Predict(Perturb(x0, eps[k - 1], s), s, sNext);
            double[] u = Uncertainty(x0New, x0);
            for (int cell = 0; cell < mask.Length; cell++)
            {
                mask[cell] |= u[cell] < tau;
            }
            for (int i = 0; i < zv.Length; i++)
            {
                int cell = (i / (Channels * Cells)) * Cells + i % Cells; // broadcast the cell mask over channels
                x0[i] = mask[cell] ? x0[i] : x0New[i];
                next[i] = mask[cell] ? next[i] : nextNew[i];
            }
        }
        Assert.Contains(true, mask);
        Assert.Contains(false, mask);

        var options = new RefinementOptions(RefinementPlan.Parse($"{step}:2"), tau);
        var sampler = new SelfRefiningSampler(FunctionField.Linear(A, B), schedule, options);
        using StepOutcome outcome = await sampler.StepAsync(z, step, seeds);

        double[] actual = Doubles(outcome.Latent);
        for (int i = 0; i < next.Length; i++)
        {
            Assert.Equal(next[i], actual[i], 5);
        }
        Assert.Equal(mask.Count(m => m) / (double)mask.Length, outcome.Report.CertainFraction, 9);
    }

    private static double[] Perturb(double[] x0, double[] eps, double s) => x0.Select((x, i) => (1 - s) * x + s * eps[i]).ToArray();

    private static (double[] X0, double[] Next) Predict(double[] z, double s, double sNext) =>
        (z.Select(v => v - s * (A * v + B)).ToArray(), z.Select(v => v + (sNext - s) * (A * v + B)).ToArray());

    /// <summary>u per cell = sum over channels of |x0' - x0|, over C (p = 1).</summary>
    private static double[] Uncertainty(double[] x0New, double[] x0)
    {
        var u = new double[Batch * Cells];
        for (int b = 0; b < Batch; b++)
        {
            for (int c = 0; c < Channels; c++)
            {
                for (int cell = 0; cell < Cells; cell++)
                {
                    int i = (b * Channels + c) * Cells + cell;
                    u[b * Cells + cell] += Math.Abs(x0New[i] - x0[i]) / Channels;
                }
            }
        }
        return u;
    }

    private static double[] Doubles(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();
}
