using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>A job's windows in a few words (one row per window does not fit: 400 frames are 33 windows).</summary>
internal static class WindowSummary
{
    /// <summary><c>33 windows: evals 24-36 each, 120 skipped</c>; empty for a job of one window.</summary>
    public static string Describe(Job job)
    {
        if (job.Windows.Count <= 1)
        {
            return "";
        }
        long least = job.Windows.Min(w => w.Evaluations), most = job.Windows.Max(w => w.Evaluations), skipped = job.Windows.Sum(w => w.Skipped);
        string evals = least == most ? $"{most}" : $"{least}-{most}";
        return $"{job.Windows.Count} windows: evals {evals} each{(skipped > 0 ? $", {skipped} skipped" : "")}";
    }
}
