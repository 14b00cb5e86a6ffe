using Loom.Contracts.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Jobs;

/// <summary>A job's windows evaluated on the cluster's shards through the router; a Wan job's prompts encoded on this silo.</summary>
/// <param name="router">Places window evaluations on shards.</param>
/// <param name="catalog">Where each model's files are.</param>
/// <param name="wanModels">Wan's text encoder and VAE on this silo.</param>
/// <param name="residency">Places resident windows (when <see cref="LoomJobOptions.ResidentWindows"/> is on).</param>
/// <param name="options">Whether co-denoising jobs run on resident windows.</param>
public sealed class ShardJobFields(ShardRouter router, ModelCatalog catalog, WanJobModels wanModels, ShardResidency residency, IOptions<LoomJobOptions> options) : IJobFields
{
    /// <inheritdoc />
    public async Task<WanJobStages?> PrepareAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.IsWan ? await Task.Run(() => wanModels.Prepare(jobId, spec, catalog.Info(spec.Model).Path), cancellationToken) : null;
    }

    /// <inheritdoc />
    public IVelocityField Field(string jobId, JobSpec spec, TemporalWindow window, FrameConditioning? given, JobCounters counters, WanJobStages? wan)
        => new ShardWindowField(jobId, spec, window, given, router, counters, wan?.Inputs(window));

    /// <summary>
    /// Whether a job runs on resident windows: a co-denoising job of two windows or more when the option is on, unless its
    /// model serves steps by expert (Wan2.2 A14B). A single window has no shared frames to exchange, and the router keeps
    /// it on its home shard anyway; an expert model's steps go where their expert is loaded, which a window that stays
    /// on one shard for the job would not do (each of its shards would load both experts).
    /// </summary>
    public static bool UsesResident(bool option, JobRecipe recipe, bool byExpert)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return option && recipe.IsStepwise && recipe.Windows.Windows.Count >= 2 && !byExpert;
    }

    /// <inheritdoc />
    public JobRun.OpenResident? Resident(string jobId, long epoch, JobRecipe recipe, JobCounters counters, WanJobStages? wan)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (!UsesResident(options.Value.ResidentWindows, recipe, wan?.Boundary is not null))
        {
            return null;
        }
        int opened = 0;
        return async (latent, stepsDone, conditioning, cancellationToken) =>
            await residency.OpenAsync(jobId, epoch, recipe, latent, stepsDone, conditioning, counters, w => wan?.Inputs(w), opened++, cancellationToken).ConfigureAwait(false);
    }
}
