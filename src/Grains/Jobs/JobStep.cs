using Loom.Sampling.Sampler;

namespace Loom.Grains.Jobs;

/// <summary>
/// What one <see cref="JobRun.StepAsync"/> did: one outer co-denoising step, or a whole independent or chained run
/// (those joins have no step the whole video shares).
/// </summary>
/// <param name="StepsDone">Outer steps finished after it.</param>
/// <param name="Reports">The sampler's reports: the step's one for co-denoising; every window's, in window order, for a whole run.</param>
/// <param name="IsWholeRun">True for a whole independent or chained run.</param>
public sealed record JobStep(int StepsDone, IReadOnlyList<StepReport> Reports, bool IsWholeRun)
{
    /// <summary>Model forward passes spent (CFG counts two, each window counts).</summary>
    public int Evaluations => Reports.Sum(r => r.Evaluations);

    /// <summary>Of those, spent by refinement iterations.</summary>
    public int RefineEvaluations => Reports.Sum(r => r.RefineEvaluations);

    /// <summary>Forward passes saved by skipping certain windows.</summary>
    public int SkippedEvaluations => Reports.Sum(r => r.SkippedEvaluations);

    /// <summary>A co-denoising step's certain share at its end (0 when it did not refine); null for a whole run.</summary>
    public double? CertainFraction => IsWholeRun ? null : Reports[0].CertainFraction;

    /// <summary>True for a co-denoising step that ran refinement iterations.</summary>
    public bool Refined => !IsWholeRun && Reports[0].CertainFractions.Count > 0;
}
