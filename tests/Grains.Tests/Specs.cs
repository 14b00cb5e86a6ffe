using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Grains.Tests;

/// <summary>Specs for the bundled physics model small enough that a simulated job takes milliseconds.</summary>
internal static class Specs
{
    /// <summary>8 frames in one window, 3 steps, one refinement.</summary>
    public static JobSpec Tiny(long seed, int priority = 0) => new(Frames: 8, Steps: 3, Plan: "1:1", WindowLength: 8, WindowOverlap: 0, Seed: seed, Priority: priority);
}
