using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// The names users write for spec values (<c>--join co-denoise</c>, <c>"join": "co-denoise"</c>), and the spec as the
/// sidecar records it: snake_case, the same names as the manifest fields and (dashed) the render options.
/// </summary>
internal static class SpecNames
{
    public static readonly IReadOnlyDictionary<string, WindowJoin> Joins = new Dictionary<string, WindowJoin>
    {
        ["co-denoise"] = WindowJoin.CoDenoise,
        ["independent"] = WindowJoin.Independent,
        ["chained"] = WindowJoin.Chained,
    };

    public static readonly IReadOnlyDictionary<string, WindowBlend> Blends = new Dictionary<string, WindowBlend>
    {
        ["uniform"] = WindowBlend.Uniform,
        ["linear"] = WindowBlend.Linear,
        ["pyramid"] = WindowBlend.Pyramid,
    };

    public static readonly IReadOnlyDictionary<string, WirePrecision> Wires = new Dictionary<string, WirePrecision>
    {
        ["fp16"] = WirePrecision.Fp16,
        ["fp32"] = WirePrecision.Fp32,
    };

    public static string Name(WirePrecision wire) => Wires.FirstOrDefault(kv => kv.Value == wire).Key ?? wire.ToString();

    public static string Name(WindowJoin join) => Joins.FirstOrDefault(kv => kv.Value == join).Key ?? join.ToString();

    public static string Name(WindowBlend blend) => Blends.FirstOrDefault(kv => kv.Value == blend).Key ?? blend.ToString();

    /// <summary>
    /// Every field of <paramref name="spec"/> that is set, snake_case; the conditioning frames as their count and SHA-256
    /// (the pixels themselves are in the result file).
    /// </summary>
    public static JsonObject ToJson(JobSpec spec)
    {
        var json = new JsonObject();
        if (spec.HasModel) { json["model"] = spec.Model; }
        if (spec.HasFrames) { json["frames"] = spec.Frames; }
        if (spec.HasHeight) { json["height"] = spec.Height; }
        if (spec.HasWidth) { json["width"] = spec.Width; }
        if (spec.HasSteps) { json["steps"] = spec.Steps; }
        if (spec.HasShift) { json["shift"] = spec.Shift; }
        if (spec.HasGuidance) { json["guidance"] = spec.Guidance; }
        if (spec.HasPlan) { json["plan"] = spec.Plan; }
        if (spec.HasTau) { json["tau"] = spec.Tau; }
        if (spec.HasWindowLength) { json["window_length"] = spec.WindowLength; }
        if (spec.HasWindowOverlap) { json["window_overlap"] = spec.WindowOverlap; }
        if (spec.HasJoin) { json["join"] = Name(spec.Join); }
        if (spec.HasBlend) { json["blend"] = Name(spec.Blend); }
        if (spec.HasSeed) { json["seed"] = spec.Seed; }
        if (spec.HasPriority) { json["priority"] = spec.Priority; }
        if (spec.HasCheckpointEvery) { json["checkpoint_every"] = spec.CheckpointEvery; }
        if (spec.HasExact) { json["exact"] = spec.Exact; }
        if (spec.HasWire) { json["wire"] = Name(spec.Wire); }
        if (spec.HasPrompt) { json["prompt"] = spec.Prompt; }
        if (spec.HasNegativePrompt) { json["negative_prompt"] = spec.NegativePrompt; }
        if (spec.HasGuidanceLowNoise) { json["guidance_low_noise"] = spec.GuidanceLowNoise; }
        if (spec.HasImage && spec.Image.Length > 0)
        {
            // The server's effective spec does not echo the image; the request carries it.
            json["image"] = new JsonObject { ["bytes"] = spec.Image.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(spec.Image.Span)) };
        }
        if (spec.HasOutput) { json["output"] = spec.Output; }
        if (spec.Conditioning is { Count: > 0 } given)
        {
            var conditioning = new JsonObject { ["count"] = given.Count };
            if (given.Rgb.Length > 0)
            {
                // The server's effective spec names the count only; the request carries the pixels.
                conditioning["bytes"] = given.Rgb.Length;
                conditioning["sha256"] = Convert.ToHexStringLower(SHA256.HashData(given.Rgb.Span));
            }
            json["conditioning"] = conditioning;
        }
        return json;
    }
}
