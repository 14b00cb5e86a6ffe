using Loom.Client.Cli;
using Loom.Embedded.Specs;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// What the client can check of a render before it connects or boots an embedded silo (which takes seconds): the plan's
/// syntax, the frame and step counts, and that every given file exists. The server checks everything again.
/// </summary>
internal static class SpecPrecheck
{
    /// <summary>Throws a usage error naming the option for the first problem found.</summary>
    /// <param name="request">The fields given on the command line.</param>
    /// <param name="given">The <c>--given</c> files.</param>
    /// <param name="embedded">True when an embedded silo will serve it: its limits are the defaults, known here.</param>
    public static void Check(JobSpec request, IReadOnlyList<string> given, bool embedded)
    {
        if (request.HasPlan && LocalSpecChecks.PlanProblem(request.Plan) is string problem)
        {
            throw new CliException(ExitCodes.Usage, $"--plan: {problem}", "plan");
        }
        Range("--frames", "frames", request.HasFrames ? request.Frames : null, embedded ? LocalSpecChecks.EmbeddedMaxFrames : int.MaxValue);
        Range("--steps", "steps", request.HasSteps ? request.Steps : null, embedded ? LocalSpecChecks.EmbeddedMaxSteps : int.MaxValue);
        foreach (string file in given)
        {
            if (!File.Exists(file))
            {
                throw new CliException(ExitCodes.Usage, $"--given: '{file}' does not exist (in {Environment.CurrentDirectory}).", "given");
            }
        }
    }

    private static void Range(string option, string field, int? value, int max)
    {
        if (value is int v && (v < 1 || v > max))
        {
            string bound = max == int.MaxValue ? "at least 1" : $"in 1..{max} (the embedded silo's limit)";
            throw new CliException(ExitCodes.Usage, $"{option}: must be {bound}; got {v}.", field);
        }
    }
}
