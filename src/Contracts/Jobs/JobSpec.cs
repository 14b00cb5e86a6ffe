using Loom.Contracts.Shards;

namespace Loom.Contracts.Jobs;

/// <summary>
/// Everything a render job needs, as submitted. Defaults are the physics world model's own settings.
/// Persisted with the job: never reorder these members.
/// </summary>
/// <param name="Model">Model name, as the silo's model catalog knows it.</param>
/// <param name="Frames">Latent frames of the video (pixel frames for the physics model).</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Steps">Sampling steps N.</param>
/// <param name="Shift">Schedule shift k.</param>
/// <param name="Guidance">Classifier-free guidance scale (1 = off).</param>
/// <param name="Plan">Refinement plan, e.g. <c>1-4:2</c> (<c>none</c> for plain Euler).</param>
/// <param name="Tau">Uncertainty threshold (0 = plain P&amp;P).</param>
/// <param name="WindowLength">Frames per temporal window.</param>
/// <param name="WindowOverlap">Frames shared by neighbouring windows.</param>
/// <param name="Join">How windows are joined.</param>
/// <param name="Seed">Noise seed: the same spec and seed give the same video, bit for bit.</param>
/// <param name="Priority">Admission priority in <c>JobLimits.MinPriority</c>..<c>JobLimits.MaxPriority</c>: higher starts first.</param>
/// <param name="Output">Name of the result file relative to the silo's output directory (see <c>OutputNames</c> in the grains); empty: named after the job.</param>
/// <param name="Conditioning">Frames given clean at the start of the video (video-to-world), or null.</param>
/// <param name="CheckpointEvery">Steps between latent checkpoints.</param>
/// <param name="Blend">Fusion weights across window overlaps.</param>
/// <param name="Exact">True: never batched with other jobs' windows, so the output is bit-reproducible.</param>
/// <param name="Prompt">Text prompt (text-conditioned models only; empty for the physics model).</param>
/// <param name="Wire">
/// Precision of latents and velocities between the job and its shards: half by default (half the bytes, still the same
/// bits wherever the windows run); <see cref="WirePrecision.Float32"/> when the shards must see the job's exact latent.
/// </param>
/// <param name="Owner">The owner of the API key that submitted it (set by the API, never by the caller; "" without one).</param>
/// <param name="NegativePrompt">Text-conditioned models: the prompt of the unconditional branch ("" for the physics model).</param>
/// <param name="Image">Image-to-video models: the first frame, RGB bytes <c>[Height, Width, 3]</c>; null otherwise.</param>
/// <param name="GuidanceLowNoise">Two-expert models (Wan2.2 A14B): the low-noise expert's guidance (<see cref="Guidance"/> is the high-noise expert's); null: the same as <see cref="Guidance"/>.</param>
/// <param name="Family">
/// The model's family as the server's catalog knew it at submit (set by the server, never by the caller): "" for the
/// pixel-space models (frames are latent frames), <c>wan</c> for Wan (frames and window length in pixel frames, 4k + 1;
/// the overlap in latent frames).
/// </param>
[GenerateSerializer, Alias("loom.job-spec")]
public sealed record JobSpec(
    string Model = "physics",
    int Frames = 16,
    int Height = 32,
    int Width = 32,
    int Steps = 12,
    double Shift = 1.0,
    double Guidance = 1.0,
    string Plan = "1-4:2",
    double Tau = 0.1,
    int WindowLength = 16,
    int WindowOverlap = 4,
    WindowJoin Join = WindowJoin.CoDenoise,
    long Seed = 0,
    int Priority = 0,
    string Output = "",
    GivenFrames? Conditioning = null,
    int CheckpointEvery = 1,
    WindowBlend Blend = WindowBlend.Linear,
    bool Exact = true,
    string Prompt = "",
    WirePrecision Wire = WirePrecision.Float16,
    string Owner = "",
    string NegativePrompt = "",
    byte[]? Image = null,
    double? GuidanceLowNoise = null,
    string Family = "")
{
    /// <summary>The family name of Wan models (<see cref="Family"/>).</summary>
    public const string WanFamily = "wan";

    /// <summary>True for a Wan job (sampled in the VAE's latent, text-conditioned).</summary>
    public bool IsWan => Family == WanFamily;

    /// <summary>Latent frames of the video: Wan packs the first pixel frame alone and 4 per latent frame after; other models' frames are latent frames.</summary>
    public int LatentFrames => IsWan ? (Frames - 1) / 4 + 1 : Frames;

    /// <summary>Latent frames per window (<see cref="WindowLength"/> converted as <see cref="LatentFrames"/> is).</summary>
    public int WindowLatents => IsWan ? (WindowLength - 1) / 4 + 1 : WindowLength;

    /// <summary>True when <paramref name="other"/> asks for the same job (conditioning compared by content, not by reference).</summary>
    public bool SameAs(JobSpec other)
        => this with { Conditioning = null, Image = null } == other with { Conditioning = null, Image = null }
           && (Conditioning is null) == (other.Conditioning is null)
           && (Conditioning is null || (Conditioning.Count == other.Conditioning!.Count && Conditioning.Rgb.AsSpan().SequenceEqual(other.Conditioning.Rgb)))
           && (Image is null) == (other.Image is null)
           && (Image is null || Image.AsSpan().SequenceEqual(other.Image));
}
