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
    string Owner = "")
{
    /// <summary>True when <paramref name="other"/> asks for the same job (conditioning compared by content, not by reference).</summary>
    public bool SameAs(JobSpec other)
        => this with { Conditioning = null } == other with { Conditioning = null }
           && (Conditioning is null) == (other.Conditioning is null)
           && (Conditioning is null || (Conditioning.Count == other.Conditioning!.Count && Conditioning.Rgb.AsSpan().SequenceEqual(other.Conditioning.Rgb)));
}
