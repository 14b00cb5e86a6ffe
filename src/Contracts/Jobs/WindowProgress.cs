namespace Loom.Contracts.Jobs;

/// <summary>What one temporal window of a job has cost so far.</summary>
/// <param name="Index">Position of the window in the job's plan.</param>
/// <param name="FirstFrame">First latent frame of the window.</param>
/// <param name="Length">Frames in the window.</param>
/// <param name="Evaluations">Forward passes spent on it (CFG counts two).</param>
/// <param name="Skipped">Forward passes saved because all its cells were already certain.</param>
[GenerateSerializer, Alias("loom.window-progress"), Immutable]
public sealed record WindowProgress(int Index, int FirstFrame, int Length, long Evaluations, long Skipped);
