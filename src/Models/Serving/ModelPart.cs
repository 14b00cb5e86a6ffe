namespace Loom.Models.Serving;

/// <summary>A part of a model that is loaded as a whole (a transformer, one of Wan2.2's experts) and its bytes in the compute dtype.</summary>
public sealed record ModelPart(string Name, long Bytes);
