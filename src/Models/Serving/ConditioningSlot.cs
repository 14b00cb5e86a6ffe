namespace Loom.Models.Serving;

/// <summary>A conditioning tensor a model reads: its name (<see cref="ConditioningNames"/>), whether every window needs it, and what it is.</summary>
public sealed record ConditioningSlot(string Name, bool Required, string Description);
