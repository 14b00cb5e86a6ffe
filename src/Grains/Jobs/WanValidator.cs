using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>
/// What a Wan job must be beyond every job's checks: frames and window length of 4k + 1 pixel frames (the VAE packs the
/// first frame alone and 4 per latent frame after), a prompt, the first frame for image-to-video (its size the video's),
/// guidance for one or two experts, and no given frames (image-to-video takes an image instead). Windows co-denoise, or
/// run independently (text-to-video), or continue one another through the image condition (chained, image-to-video).
/// </summary>
public static class WanValidator
{
    /// <summary>Throws <see cref="InvalidJobSpecException"/> for the first Wan-specific problem of <paramref name="spec"/>.</summary>
    public static void Validate(JobSpec spec, ModelShape model, JobLimits limits)
    {
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                throw new InvalidJobSpecException(field, message);
            }
        }

        Check((spec.Frames - 1) % 4 == 0, "frames", $"a Wan video has 4k + 1 frames (1, 5, ..., 81); got {spec.Frames}.");
        Check(spec.WindowLength >= 1 && (spec.WindowLength - 1) % 4 == 0, "window_length", $"a Wan window has 4k + 1 pixel frames (81 by default); got {spec.WindowLength}.");
        Check(!string.IsNullOrWhiteSpace(spec.Prompt), "prompt", $"model '{model.Name}' renders from a text prompt; give one.");
        Check(spec.Join != WindowJoin.Chained || model.ImageToVideo, "join",
            $"chained windows continue one another through the image-to-video condition; model '{model.Name}' is text-to-video: co-denoise or independent.");
        Check(spec.Join != WindowJoin.Independent || !model.ImageToVideo, "join",
            $"the windows of image-to-video model '{model.Name}' follow its image: co-denoise, or chained (each window continues the one before).");
        Check(spec.Conditioning is null, "conditioning", $"model '{model.Name}' takes no given frames; image-to-video models take the first frame as 'image'.");
        if (model.ImageToVideo)
        {
            Check(spec.Image is not null, "image", $"model '{model.Name}' is image-to-video: give the first frame ({spec.Width}x{spec.Height} RGB).");
            long expected = (long)spec.Height * spec.Width * 3;
            Check(spec.Image!.Length == expected, "image", $"a {spec.Width}x{spec.Height} RGB image is {expected} bytes; got {spec.Image.Length}.");
        }
        if (spec.GuidanceLowNoise is double low)
        {
            Check(double.IsFinite(low) && low >= 0 && low <= limits.MaxGuidance, "guidance_low_noise", $"must be in 0..{limits.MaxGuidance}; got {low}.");
        }
    }
}
