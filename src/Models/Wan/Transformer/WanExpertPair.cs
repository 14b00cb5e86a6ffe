using System.Text.Json;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Wan2.2 A14B's two experts: official <c>high_noise_model/</c> and <c>low_noise_model/</c>, or a Diffusers pipeline's
/// <c>transformer/</c> (high noise) and <c>transformer_2/</c> (low noise). The high-noise expert runs while the integer
/// timestep is at least <c>Boundary * 1000</c>.
/// </summary>
/// <param name="HighNoise">The expert for early (noisy) steps.</param>
/// <param name="LowNoise">The expert for late steps.</param>
/// <param name="Boundary">The switch as a fraction of 1000 timesteps: official 0.875 (T2V) and 0.9 (I2V); Diffusers' <c>boundary_ratio</c>.</param>
public sealed record WanExpertPair(WanCheckpoint HighNoise, WanCheckpoint LowNoise, double Boundary)
{
    /// <summary>The official Wan2.2 T2V-A14B boundary.</summary>
    public const double TextToVideoBoundary = 0.875;

    /// <summary>The official Wan2.2 I2V-A14B boundary.</summary>
    public const double ImageToVideoBoundary = 0.9;

    /// <summary>True when <paramref name="directory"/> holds two experts.</summary>
    public static bool IsExpertPair(string directory)
        => (Directory.Exists(Path.Combine(directory, "high_noise_model")) && Directory.Exists(Path.Combine(directory, "low_noise_model")))
           || (Directory.Exists(Path.Combine(directory, "transformer")) && Directory.Exists(Path.Combine(directory, "transformer_2")));

    /// <summary>Opens both experts under <paramref name="directory"/> (headers only).</summary>
    /// <exception cref="InvalidDataException">Not an expert pair, or the experts' shapes differ.</exception>
    public static WanExpertPair Open(string directory)
    {
        bool official = Directory.Exists(Path.Combine(directory, "high_noise_model"));
        if (!IsExpertPair(directory))
        {
            throw new InvalidDataException($"{directory}: no high_noise_model/ and low_noise_model/ (nor transformer/ and transformer_2/).");
        }
        WanCheckpoint high = WanCheckpoint.Open(Path.Combine(directory, official ? "high_noise_model" : "transformer"));
        WanCheckpoint low = WanCheckpoint.Open(Path.Combine(directory, official ? "low_noise_model" : "transformer_2"));
        if (high.Config with { PatchSize = low.Config.PatchSize } != low.Config || !high.Config.PatchSize.SequenceEqual(low.Config.PatchSize))
        {
            throw new InvalidDataException($"{directory}: the experts differ in shape ({high.Config} vs {low.Config}).");
        }
        double boundary = high.Config.IsImageToVideo ? ImageToVideoBoundary : TextToVideoBoundary;
        string modelIndex = Path.Combine(directory, "model_index.json");
        if (!official && File.Exists(modelIndex))
        {
            using JsonDocument index = JsonDocument.Parse(File.ReadAllBytes(modelIndex));
            if (index.RootElement.TryGetProperty("boundary_ratio", out JsonElement ratio) && ratio.ValueKind == JsonValueKind.Number)
            {
                boundary = ratio.GetDouble();
            }
        }
        return new WanExpertPair(high, low, boundary);
    }
}
