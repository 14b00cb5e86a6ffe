namespace Loom.Models.WorldModel;

/// <summary>Where training stands after a step.</summary>
public sealed record TrainingProgress(int Step, int Steps, double Loss, double AverageLoss, double LearningRate, double ClipsPerSecond, TimeSpan Elapsed)
{
    /// <summary>Estimated time to the end at the current rate.</summary>
    public TimeSpan Remaining => ClipsPerSecond <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((Steps - Step) * (Elapsed.TotalSeconds / Math.Max(1, Step)));
}
