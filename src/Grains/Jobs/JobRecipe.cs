using Loom.Contracts.Jobs;
using Loom.Sampling.Refinement;
using Loom.Sampling.Schedules;
using WindowPlan = Loom.Sampling.Windows.WindowPlan;

namespace Loom.Grains.Jobs;

/// <summary>
/// A valid spec resolved once for sampling: its refinement plan parsed, its windows cut, its schedule made. Built by
/// <see cref="JobSpecValidator.Validate"/> when a job is accepted, or by <see cref="Resolve"/> for a spec accepted before
/// (a job resumed from its stored state); a <see cref="JobRun"/> samples from it.
/// </summary>
public sealed class JobRecipe
{
    /// <summary>Resolves <paramref name="spec"/> with its plan already parsed (<paramref name="plan"/>).</summary>
    /// <param name="spec">A valid spec.</param>
    /// <param name="plan">Its refinement plan, parsed.</param>
    public JobRecipe(JobSpec spec, RefinementPlan plan)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(plan);
        Spec = spec;
        Refinement = new RefinementOptions(plan, spec.Tau);
        Windows = JobSpecValidator.Windows(spec);
        // Wan samples on its own sigma grid (integer timesteps); the physics model on the grid it was trained with.
        Schedule = FlowSchedule.Create(spec.Steps, spec.Shift, spec.IsWan ? ScheduleKind.Wan : ScheduleKind.Uniform);
    }

    /// <summary>The spec as accepted.</summary>
    public JobSpec Spec { get; }

    /// <summary>The P&amp;P plan and its uncertainty threshold.</summary>
    public RefinementOptions Refinement { get; }

    /// <summary>The job's windows.</summary>
    public WindowPlan Windows { get; }

    /// <summary>The sigmas the job walks.</summary>
    public FlowSchedule Schedule { get; }

    /// <summary>Outer steps N.</summary>
    public int Steps => Spec.Steps;

    /// <summary>True when steps are taken (and checkpointed) one at a time: co-denoising. Other joins run whole.</summary>
    public bool IsStepwise => Spec.Join == WindowJoin.CoDenoise;

    /// <summary>Forward passes one prediction of one window costs (two with classifier-free guidance).</summary>
    public int PassesPerPrediction => Spec.Guidance > 1 ? 2 : 1;

    /// <summary>Shape of the job's latent without the batch axis: <c>[3, F, H, W]</c> pixels, or Wan's VAE latent (<see cref="WanJobStages.SampleShape"/>).</summary>
    public long[] SampleShape => Spec.IsWan ? WanJobStages.SampleShape(Spec) : [3, Spec.Frames, Spec.Height, Spec.Width];

    /// <summary>Size of the latent's float32 bytes, as checkpointed.</summary>
    public long LatentBytes => SampleShape.Aggregate(sizeof(float) * 1L, (n, d) => n * d);

    /// <summary>The seed list of the one-video batch.</summary>
    public long[] Seeds => [Spec.Seed];

    /// <summary>What a shard needs to run the job's windows resident (<see cref="Shards.ResidentWindows"/>).</summary>
    public Shards.ResidentRecipe Resident() => new(Windows, Spec.Blend.ToSampler(), Schedule, Refinement, Seeds, SampleShape);

    /// <summary>Resolves a spec that was validated when it was accepted; a plan that no longer parses names the field.</summary>
    /// <exception cref="InvalidJobSpecException">The plan does not parse or does not fit the steps.</exception>
    public static JobRecipe Resolve(JobSpec spec) => new(spec, ParsePlan(spec));

    /// <summary>The spec's refinement plan, parsed and checked against its steps; a problem names the <c>plan</c> field.</summary>
    /// <exception cref="InvalidJobSpecException">The plan does not parse or names steps past the last.</exception>
    internal static RefinementPlan ParsePlan(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            RefinementPlan plan = RefinementPlan.Parse(spec.Plan ?? "");
            plan.ValidateFor(spec.Steps);
            return plan;
        }
        catch (RefinementPlanException e)
        {
            throw new InvalidJobSpecException("plan", e.Detail);
        }
    }
}
