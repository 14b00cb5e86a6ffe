namespace Loom.Models.Wan.Vae;

/// <summary>
/// The per-channel statistics the released Wan2.1 VAE normalises its latent with (class <c>WanVAE</c> in the official
/// <c>vae.py</c>; <c>latents_mean</c> / <c>latents_std</c> in the Diffusers VAE config): the DiT sees
/// <c>(mu - mean) / std</c>. The official code multiplies by <c>1 / std</c> stored in float32, which
/// <see cref="InverseStd"/> reproduces bit for bit.
/// </summary>
public static class WanVaeLatentStats
{
    /// <summary>Mean of each of the 16 latent channels.</summary>
    public static IReadOnlyList<float> Mean { get; } =
    [
        -0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
        0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f,
    ];

    /// <summary>Standard deviation of each of the 16 latent channels.</summary>
    public static IReadOnlyList<float> Std { get; } =
    [
        2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
        3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f,
    ];

    /// <summary><c>1 / std</c> rounded to float32, as the official <c>scale</c> holds it.</summary>
    public static IReadOnlyList<float> InverseStd { get; } = Std.Select(s => 1f / s).ToArray();
}
