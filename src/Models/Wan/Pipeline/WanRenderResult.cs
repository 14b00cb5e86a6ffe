using Loom.Sampling.Sampler;

namespace Loom.Models.Wan.Pipeline;

/// <summary>The frames of a Wan render and what it took.</summary>
/// <param name="Rgb">Frames as RGB bytes <c>[Frames, Height, Width, 3]</c>.</param>
/// <param name="Frames">Video frames.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="LatentSha256">Hex SHA-256 of the sampled latent's float32 bytes.</param>
/// <param name="Steps">Each outer step's report (NFE, refinement, certain fractions).</param>
/// <param name="Experts">For each outer step, the transformer that served it (<c>transformer</c>, or <c>high_noise</c> / <c>low_noise</c>).</param>
/// <param name="PromptFromCache">Whether the prompt's embedding came from the cache.</param>
/// <param name="NegativeFromCache">Whether the negative prompt's embedding came from the cache.</param>
/// <param name="Windows">Temporal windows sampled together.</param>
/// <param name="TextSeconds">Cleaning, tokenising and encoding both prompts (or finding them in the cache).</param>
/// <param name="ConditionSeconds">Image-to-video: encoding the image into the condition; 0 otherwise.</param>
/// <param name="SamplingSeconds">The sampler, every transformer call included.</param>
/// <param name="DecodeSeconds">The VAE decode to 8-bit frames.</param>
public sealed record WanRenderResult(
    byte[] Rgb,
    int Frames,
    int Height,
    int Width,
    string LatentSha256,
    IReadOnlyList<StepReport> Steps,
    IReadOnlyList<string> Experts,
    bool PromptFromCache,
    bool NegativeFromCache,
    int Windows,
    double TextSeconds,
    double ConditionSeconds,
    double SamplingSeconds,
    double DecodeSeconds)
{
    /// <summary>Transformer forward passes per latent (CFG counts two).</summary>
    public int Evaluations => Steps.Sum(s => s.Evaluations);
}
