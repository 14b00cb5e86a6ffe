namespace Loom.Models.WorldModel;

/// <summary>Shape of the physics world model: a DiT-style video transformer over 8x8 pixel patches.</summary>
/// <param name="MaxFrames">Most frames one call may see (its temporal position table).</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Patch">Patch side in pixels.</param>
/// <param name="Dim">Token width.</param>
/// <param name="Depth">Transformer blocks.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="Prediction">What the network outputs; only <c>x0</c> (the clean video) is built. Files without it predate this and are refused.</param>
public sealed record WorldModelConfig(int MaxFrames = 16, int Height = 32, int Width = 32, int Patch = 8, int Dim = 128, int Depth = 6, int Heads = 4, string? Prediction = WorldModelConfig.CleanPrediction)
{
    /// <summary>The network predicts the clean video and derives the velocity from it.</summary>
    public const string CleanPrediction = "x0";

    /// <summary>Image channels (RGB).</summary>
    public const int Channels = 3;

    /// <summary>Frames given clean in video-to-world mode.</summary>
    public const int GivenFrames = 2;

    /// <summary>Patches per frame.</summary>
    public int PatchesPerFrame => Height / Patch * (Width / Patch);
}
