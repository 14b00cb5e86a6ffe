using Loom.Models.Wan.Folders;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// The sampling settings a Wan family renders with unless told otherwise: steps, shift and guidance of the official
/// configs (<c>wan/configs/*.py</c>), the P&amp;P plan and tau of the paper's Wan setting (text-to-video: plan
/// <c>2-5:3,6-13:1</c>, tau 0.2; image-to-video: plan <c>1-5:3,6-13:1</c>, tau 0), and the official negative prompt.
/// </summary>
/// <param name="Steps">Outer Euler steps.</param>
/// <param name="Shift">Timestep shift.</param>
/// <param name="Guidance">Classifier-free guidance scale; two values for a two-expert model: high-noise expert first.</param>
/// <param name="Plan">P&amp;P plan (<c>none</c> for plain Euler).</param>
/// <param name="Tau">Uncertainty threshold of P&amp;P.</param>
/// <param name="NegativePrompt">The negative prompt of the official configs (<c>sample_neg_prompt</c>).</param>
public sealed record WanDefaults(int Steps, double Shift, IReadOnlyList<double> Guidance, string Plan, double Tau, string NegativePrompt)
{
    /// <summary>The official configs' <c>sample_neg_prompt</c>, the same for every Wan2.1 and Wan2.2 task.</summary>
    public const string OfficialNegativePrompt =
        "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走";

    /// <summary>The defaults of a model <paramref name="kind"/> (<see cref="WanKind"/>).</summary>
    /// <exception cref="ArgumentException">A kind the pipeline does not run.</exception>
    public static WanDefaults For(string kind) => kind switch
    {
        WanKind.T2V => new(50, 5.0, [5.0], "2-5:3,6-13:1", 0.2, OfficialNegativePrompt),
        WanKind.I2V => new(40, 5.0, [5.0], "1-5:3,6-13:1", 0.0, OfficialNegativePrompt),
        WanKind.T2VA14B => new(40, 12.0, [4.0, 3.0], "2-5:3,6-13:1", 0.2, OfficialNegativePrompt),
        WanKind.I2VA14B => new(40, 5.0, [3.5, 3.5], "1-5:3,6-13:1", 0.0, OfficialNegativePrompt),
        _ => throw new ArgumentException($"model kind '{kind}' is not one the Wan pipeline runs (t2v, i2v, t2v-a14b, i2v-a14b).", nameof(kind)),
    };
}
