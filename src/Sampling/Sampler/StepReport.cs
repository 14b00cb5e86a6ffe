namespace Loom.Sampling.Sampler;

/// <summary>What one outer step did.</summary>
/// <param name="Step">Outer step index i.</param>
/// <param name="Sigma">Noise level the step evaluated at.</param>
/// <param name="NextSigma">Noise level it moved the latent to.</param>
/// <param name="Predictions">Velocity predictions made: 1 + refinement iterations run.</param>
/// <param name="Evaluations">Model forward passes those predictions spent (CFG counts two, windows count each window).</param>
/// <param name="SkippedEvaluations">Forward passes skipped because all their cells were already certain.</param>
/// <param name="PlannedIterations">K, the refinement iterations the plan asked for at this step.</param>
/// <param name="IterationsSkipped">Iterations not run because every sample's certain fraction passed the threshold.</param>
/// <param name="CertainFractions">Share of certain cells (over the batch) after each refinement iteration run.</param>
/// <param name="RefineEvaluations">Of <paramref name="Evaluations"/>, the forward passes spent by refinement iterations (predictions after the first).</param>
public sealed record StepReport(
    int Step,
    double Sigma,
    double NextSigma,
    int Predictions,
    int Evaluations,
    int SkippedEvaluations,
    int PlannedIterations,
    int IterationsSkipped,
    IReadOnlyList<double> CertainFractions,
    int RefineEvaluations = 0)
{
    /// <summary>Share of certain cells at the end of the step (0 when the step did not refine).</summary>
    public double CertainFraction => CertainFractions.Count == 0 ? 0.0 : CertainFractions[^1];
}
