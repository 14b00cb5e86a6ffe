using Loom.Models.Physics;
using Loom.Models.WorldModel;

namespace Loom.Embedded.Scenes;

/// <summary>
/// The physics world model's held-out test scenes (simulated from <see cref="PhysicsDataset.TestSeed"/>, never seen in
/// training): their first frames, given clean, make a render continue real physics.
/// </summary>
public static class HeldOutScenes
{
    /// <summary>How many frames of a scene are given: the world model's conditioning length.</summary>
    public const int GivenFrames = WorldModelConfig.GivenFrames;

    /// <summary>
    /// The first <see cref="GivenFrames"/> frames of scene <paramref name="scene"/> at <paramref name="height"/> x
    /// <paramref name="width"/>, RGB, frame-major then row, column, channel (the API's <c>Conditioning.rgb</c>).
    /// </summary>
    /// <param name="scene">The scene's index, at least 0.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="frames">The video's length: the scene is simulated that long, so its start is the same as the full scene's.</param>
    public static byte[] GivenRgb(int scene, int height, int width, int frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scene);
        var simulator = new PhysicsSimulator(height, width);
        PhysicsClip clip = simulator.Generate(PhysicsDataset.TestSeed(scene), Math.Max(frames, GivenFrames));
        return clip.ToRgb(GivenFrames);
    }
}
