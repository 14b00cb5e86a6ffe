using Loom.Contracts.Jobs;
using Loom.Sampling.Sampler;
using Loom.Sampling.Windows;

namespace Loom.Grains.Jobs;

/// <summary>
/// Per-window cost of a job, folded from the counts its shard fields keep. A co-denoising step asks every window for
/// each of its predictions; a window it did not ask was skipped as certain, and saved what one prediction of a window
/// costs (two forward passes with CFG).
/// </summary>
public static class WindowTally
{
    /// <summary>Zero counts for every window of <paramref name="plan"/>.</summary>
    public static List<WindowProgress> Empty(WindowPlan plan)
        => plan.Windows.Select(w => new WindowProgress(w.Index, w.Start, w.Length, 0, 0)).ToList();

    /// <summary>Adds one co-denoising step (<paramref name="predictions"/> predictions) to <paramref name="windows"/>.</summary>
    public static void AddStep(List<WindowProgress> windows, IReadOnlyDictionary<int, (int Calls, long Evaluations)> step, int predictions, int passesPerPrediction)
    {
        for (int i = 0; i < windows.Count; i++)
        {
            var (calls, evaluations) = step.GetValueOrDefault(windows[i].Index);
            windows[i] = windows[i] with
            {
                Evaluations = windows[i].Evaluations + evaluations,
                Skipped = windows[i].Skipped + (long)Math.Max(0, predictions - calls) * passesPerPrediction,
            };
        }
    }

    /// <summary>Adds a whole independent or chained run: each window's own step reports, in window order.</summary>
    public static void AddRun(List<WindowProgress> windows, IReadOnlyDictionary<int, (int Calls, long Evaluations)> run, IReadOnlyList<StepReport> reports)
    {
        int perWindow = windows.Count == 0 ? 0 : reports.Count / windows.Count;
        for (int i = 0; i < windows.Count; i++)
        {
            long skipped = perWindow * windows.Count == reports.Count ? reports.Skip(i * perWindow).Take(perWindow).Sum(r => (long)r.SkippedEvaluations) : 0;
            windows[i] = windows[i] with
            {
                Evaluations = windows[i].Evaluations + run.GetValueOrDefault(windows[i].Index).Evaluations,
                Skipped = windows[i].Skipped + skipped,
            };
        }
    }

    /// <summary><paramref name="windows"/> plus the evaluations of a step still running (not yet folded).</summary>
    public static WindowProgress[] Live(IReadOnlyList<WindowProgress> windows, IReadOnlyDictionary<int, (int Calls, long Evaluations)> running)
        => windows.Select(w => w with { Evaluations = w.Evaluations + running.GetValueOrDefault(w.Index).Evaluations }).ToArray();
}
