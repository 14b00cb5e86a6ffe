using Loom.Grains.Jobs;
using Loom.Sampling.Refinement;

namespace Loom.Embedded.Specs;

/// <summary>
/// What the CLI checks of a spec before it connects or boots an embedded silo (seconds): the plan's syntax with the
/// server's own parser, and the embedded silo's limits (its defaults, known here). The server checks everything again.
/// </summary>
public static class LocalSpecChecks
{
    /// <summary>Most frames an embedded silo accepts.</summary>
    public static int EmbeddedMaxFrames => new JobLimits().MaxFrames;

    /// <summary>Most steps an embedded silo accepts.</summary>
    public static int EmbeddedMaxSteps => new JobLimits().MaxSteps;

    /// <summary>Why <paramref name="plan"/> is not a refinement plan (without the <c>plan:</c> prefix), or null when it is one.</summary>
    public static string? PlanProblem(string plan)
    {
        try
        {
            RefinementPlan.Parse(plan);
            return null;
        }
        catch (RefinementPlanException e)
        {
            // The parser's message names its parameter twice ("plan: ... (Parameter 'plan')"): once is enough here.
            string reason = e.Message.Split(" (Parameter ", 2)[0];
            return reason.StartsWith("plan: ", StringComparison.Ordinal) ? reason["plan: ".Length..] : reason;
        }
    }
}
