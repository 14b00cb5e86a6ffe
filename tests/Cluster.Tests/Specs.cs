using Loom.Grains.Jobs;
using Loom.Models.Physics;

namespace Loom.Cluster.Tests;

/// <summary>Job specs the tests submit.</summary>
internal static class Specs
{
    /// <summary>
    /// 26 frames in windows of 6 overlapping by 2: 6 windows. The first 2 frames of a simulated scene are given,
    /// refinement with the uncertainty mask on steps 1-3.
    /// </summary>
    public static JobSpec SixWindows(long seed, int steps = 6, int priority = 0) => new(
        Frames: 26, Steps: steps, Plan: "1-3:1", Tau: 0.05, WindowLength: 6, WindowOverlap: 2, Seed: seed, Priority: priority,
        Conditioning: GivenFromScene(seed, 2));

    /// <summary>A small, quick job.</summary>
    public static JobSpec Small(long seed, int priority = 0) => new(Frames: 8, Steps: 3, Plan: "1:1", WindowLength: 8, WindowOverlap: 0, Seed: seed, Priority: priority);

    /// <summary>The first <paramref name="count"/> frames of physics scene <paramref name="seed"/> as RGB bytes.</summary>
    public static GivenFrames GivenFromScene(long seed, int count)
    {
        PhysicsClip clip = new PhysicsSimulator(32, 32).Generate(PhysicsDataset.TestSeed((int)(seed % 1000)), count);
        var rgb = new byte[count * 32 * 32 * 3];
        for (int f = 0; f < count; f++)
        {
            for (int p = 0; p < 32 * 32; p++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float v = clip.Pixels[((c * count) + f) * 32 * 32 + p];
                    rgb[((f * 32 * 32) + p) * 3 + c] = (byte)Math.Clamp(Math.Round((v + 1) * 127.5), 0, 255);
                }
            }
        }
        return new GivenFrames(count, rgb);
    }
}
