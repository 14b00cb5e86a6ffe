using Loom.Contracts.Jobs;
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

    /// <summary>The first <paramref name="count"/> frames of physics test scene <paramref name="seed"/>.</summary>
    public static GivenFrames GivenFromScene(long seed, int count)
        => new GivenFrames(count, new PhysicsSimulator(32, 32).Generate(PhysicsDataset.TestSeed((int)(seed % 1000)), count).ToRgb(count));
}
