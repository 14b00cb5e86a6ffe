namespace Loom.Models.Serving;

/// <summary>A conditioning tensor a model reads: its name (<see cref="ConditioningNames"/>), whether every window needs it, and what it is.</summary>
public sealed record ConditioningSlot(string Name, bool Required, string Description)
{
    /// <summary>The slots of a pixel-space model that takes clean frames given inside a window (video-to-world), both optional.</summary>
    public static IReadOnlyList<ConditioningSlot> GivenFrames { get; } =
    [
        new(ConditioningNames.Frames, false, "clean frames of the window [1, C, F, H, W]"),
        new(ConditioningNames.Given, false, "which frames are given, bool [F]"),
    ];
}
