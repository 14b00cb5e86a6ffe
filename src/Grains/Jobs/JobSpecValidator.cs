using Loom.Contracts.Jobs;
using Loom.Sampling.Refinement;
using Loom.Sampling.Windows;

namespace Loom.Grains.Jobs;

/// <summary>Checks a spec field by field; the first problem is thrown with its field named.</summary>
public static class JobSpecValidator
{
    /// <summary>Throws <see cref="InvalidJobSpecException"/> for the first bad field of <paramref name="spec"/>; returns it resolved for sampling.</summary>
    /// <param name="spec">The submitted spec.</param>
    /// <param name="limits">Configured bounds.</param>
    /// <param name="models">The models this cluster serves, by name.</param>
    public static JobRecipe Validate(JobSpec spec, JobLimits limits, IReadOnlyDictionary<string, ModelShape> models)
    {
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                throw new InvalidJobSpecException(field, message);
            }
        }

        Check(!string.IsNullOrWhiteSpace(spec.Model), "model", "is required.");
        Check(models.ContainsKey(spec.Model), "model", $"unknown model '{spec.Model}'; served: {string.Join(", ", models.Keys.Order())}.");
        ModelShape model = models[spec.Model];
        Check(spec.Family == model.Family, "model", $"model '{model.Name}' is a {FamilyName(model.Family)} model; the spec was made for a {FamilyName(spec.Family)} model.");
        Check(spec.Frames >= 1 && spec.Frames <= limits.MaxFrames, "frames", $"must be in 1..{limits.MaxFrames}; got {spec.Frames}.");
        Check(spec.Height > 0 && spec.Height % model.Patch == 0, "height", $"must be a positive multiple of {model.Patch}; got {spec.Height}.");
        Check(spec.Width > 0 && spec.Width % model.Patch == 0, "width", $"must be a positive multiple of {model.Patch}; got {spec.Width}.");
        Check(model.Height == 0 || spec.Height == model.Height, "height", $"model '{model.Name}' renders {model.Height} pixels high; got {spec.Height}.");
        Check(model.Width == 0 || spec.Width == model.Width, "width", $"model '{model.Name}' renders {model.Width} pixels wide; got {spec.Width}.");
        if (spec.IsWan)
        {
            WanValidator.Validate(spec, model, limits);
        }
        Check(spec.Steps >= 1 && spec.Steps <= limits.MaxSteps, "steps", $"must be in 1..{limits.MaxSteps}; got {spec.Steps}.");
        Check(double.IsFinite(spec.Shift) && spec.Shift > 0, "shift", $"must be a positive finite number; got {spec.Shift}.");
        Check(double.IsFinite(spec.Guidance) && spec.Guidance >= 0 && spec.Guidance <= limits.MaxGuidance, "guidance", $"must be in 0..{limits.MaxGuidance}; got {spec.Guidance}.");
        RefinementPlan plan = JobRecipe.ParsePlan(spec);
        Check(Enumerable.Range(0, spec.Steps).All(i => plan.ExtraAt(i) <= limits.MaxIterationsPerStep), "plan", $"at most {limits.MaxIterationsPerStep} refinement iterations per step.");
        Check(double.IsFinite(spec.Tau) && spec.Tau >= 0, "tau", $"must be a finite number >= 0; got {spec.Tau}.");
        Check(spec.Priority >= JobLimits.MinPriority && spec.Priority <= JobLimits.MaxPriority, "priority", $"must be in {JobLimits.MinPriority}..{JobLimits.MaxPriority}; got {spec.Priority}.");
        Check(spec.WindowLatents >= 1 && spec.WindowLatents <= model.MaxWindow, "window_length", $"must be in 1..{model.MaxWindow} (the model's longest window); got {spec.WindowLength}.");
        Check(spec.WindowOverlap >= 0 && spec.WindowOverlap < spec.WindowLatents, "window_overlap", $"must be in 0..{spec.WindowLatents - 1} (less than window_length{(spec.IsWan ? " in latent frames" : "")}); got {spec.WindowOverlap}.");
        Check(Enum.IsDefined(spec.Join), "join", $"unknown join {spec.Join}.");
        Check(Enum.IsDefined(spec.Blend), "blend", $"unknown blend {spec.Blend}.");
        Check(spec.CheckpointEvery >= 1, "checkpoint_every", $"must be at least 1; got {spec.CheckpointEvery}.");
        string prompt = spec.Prompt ?? "";
        int promptBytes = System.Text.Encoding.UTF8.GetByteCount(prompt);
        Check(promptBytes <= limits.MaxPromptBytes, "prompt", $"at most {limits.MaxPromptBytes} UTF-8 bytes; got {promptBytes}.");
        Check(model.TextConditioned || prompt.Length == 0, "prompt", $"model '{model.Name}' is not text-conditioned; leave the prompt empty.");
        string negative = spec.NegativePrompt ?? "";
        int negativeBytes = System.Text.Encoding.UTF8.GetByteCount(negative);
        Check(negativeBytes <= limits.MaxPromptBytes, "negative_prompt", $"at most {limits.MaxPromptBytes} UTF-8 bytes; got {negativeBytes}.");
        Check(model.TextConditioned || negative.Length == 0, "negative_prompt", $"model '{model.Name}' is not text-conditioned; leave the negative prompt empty.");
        Check(model.ImageToVideo || spec.Image is null, "image", $"model '{model.Name}' is not an image-to-video model; it takes no image.");
        Check(model.Experts == 2 || spec.GuidanceLowNoise is null, "guidance_low_noise",
            $"model '{model.Name}' has one transformer; give one guidance value (a second is for Wan2.2 A14B's low-noise expert).");
        if (spec.Conditioning is { } given)
        {
            Check(given.Count >= 1 && given.Count <= spec.Frames, "conditioning", $"frame count must be in 1..{spec.Frames}; got {given.Count}.");
            Check(given.Rgb is not null && given.Rgb.Length <= limits.MaxConditioningBytes, "conditioning", $"at most {limits.MaxConditioningBytes} bytes.");
            long expected = (long)given.Count * spec.Height * spec.Width * 3;
            Check(given.Rgb!.Length == expected, "conditioning", $"{given.Count} frames of {spec.Height}x{spec.Width} RGB are {expected} bytes; got {given.Rgb.Length}.");
        }
        // Text only: a refused output creates nothing, and an accepted one can only name a file under the output directory.
        string? outputProblem = OutputNames.Problem(spec.Output ?? "");
        Check(outputProblem is null, "output", outputProblem ?? "");
        return new JobRecipe(spec, plan);
    }

    /// <summary>The window plan a valid spec samples with, in latent frames.</summary>
    public static WindowPlan Windows(JobSpec spec) => new(spec.LatentFrames, Math.Min(spec.WindowLatents, spec.LatentFrames), spec.LatentFrames <= spec.WindowLatents ? 0 : spec.WindowOverlap);

    private static string FamilyName(string family) => family.Length == 0 ? "pixel-space" : family;
}
