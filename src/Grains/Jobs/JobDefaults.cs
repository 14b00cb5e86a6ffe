using Loom.Contracts.Jobs;
using Loom.Models.Wan.Pipeline;

namespace Loom.Grains.Jobs;

/// <summary>
/// The spec a job takes for the fields its submitter leaves unset, by model family: the physics model's own settings
/// (<see cref="JobSpec"/>'s defaults), or a Wan family's (<see cref="WanDefaults"/>: steps, shift, guidance, plan, tau
/// and the official negative prompt) with 81 frames of 832x480 in one window, as the official 480p configs render.
/// </summary>
public static class JobDefaults
{
    /// <summary>Wan's default video: 81 frames (5 s at 16 fps).</summary>
    public const int WanFrames = 81;

    /// <summary>Wan's default frame width (480p, landscape).</summary>
    public const int WanWidth = 832;

    /// <summary>Wan's default frame height.</summary>
    public const int WanHeight = 480;

    /// <summary>Latent frames neighbouring Wan windows share by default (the in-process pipeline's default).</summary>
    public const int WanWindowOverlap = 1;

    /// <summary>The defaults for <paramref name="model"/> (null: an unknown model, which the validator refuses; the physics defaults stand in).</summary>
    public static JobSpec For(ModelShape? model)
    {
        var spec = new JobSpec();
        if (model is null)
        {
            return spec;
        }
        if (model.Family != JobSpec.WanFamily)
        {
            return spec with { Model = model.Name, Height = model.Height, Width = model.Width, Family = model.Family };
        }
        WanDefaults wan = WanDefaults.For(model.Kind);
        return spec with
        {
            Model = model.Name,
            Family = model.Family,
            Frames = WanFrames,
            Height = WanHeight,
            Width = WanWidth,
            Steps = wan.Steps,
            Shift = wan.Shift,
            Guidance = wan.Guidance[0],
            GuidanceLowNoise = wan.Guidance.Count > 1 ? wan.Guidance[1] : null,
            Plan = wan.Plan,
            Tau = wan.Tau,
            WindowLength = WanFrames,
            WindowOverlap = WanWindowOverlap,
            NegativePrompt = wan.NegativePrompt,
        };
    }
}
