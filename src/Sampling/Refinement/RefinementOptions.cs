namespace Loom.Sampling.Refinement;

/// <summary>
/// Predict-and-Perturb settings. <see cref="Tau"/> = 0 is plain P&amp;P (no cell is ever certain); tau &gt; 0 is the
/// uncertainty-aware variant (reference: 0.2-0.25 T2V, 0 I2V, 0.5 Cosmos); tau = +inf freezes every cell after
/// the first perturbation, so each refined step returns its plain Euler result.
/// </summary>
public sealed record RefinementOptions
{
    /// <summary>Creates options for <paramref name="plan"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">tau is NaN or negative, p is not positive and finite, or the certain fraction is outside [0, 1].</exception>
    public RefinementOptions(RefinementPlan plan, double tau = 0.0, double p = 1.0, double certainFraction = 0.999)
    {
        if (double.IsNaN(tau) || tau < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be >= 0 (0 = plain P&P, +inf allowed).");
        }
        if (!double.IsFinite(p) || p <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must be a positive finite number.");
        }
        if (!(certainFraction >= 0 && certainFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(certainFraction), certainFraction, "certainFraction must be in [0, 1].");
        }
        Plan = plan;
        Tau = tau;
        P = p;
        CertainFraction = certainFraction;
    }

    /// <summary>No refinement: the plain Euler sampler.</summary>
    public static RefinementOptions None { get; } = new(RefinementPlan.None);

    /// <summary>Which steps refine, and with how many extra predictions.</summary>
    public RefinementPlan Plan { get; }

    /// <summary>Uncertainty threshold: a cell with <c>u &lt; tau</c> becomes certain for the rest of the step.</summary>
    public double Tau { get; }

    /// <summary>
    /// Exponent of the per-cell uncertainty, the power mean over channels <c>u = (sum_c |dx0|^p / C)^(1/p)</c>;
    /// p = 1 (the default) is the map's <c>sum_c |x0' - x0| / C</c>.
    /// </summary>
    public double P { get; }

    /// <summary>A sample whose certain share of cells exceeds this skips the rest of the step's iterations.</summary>
    public double CertainFraction { get; }
}
