using System.Diagnostics;
using System.Globalization;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>
/// Time left of each running job, from its own measured step times: the seconds per step between the first time it was
/// seen running and its latest finished step, times the steps left, less the time already spent on the current step.
/// Nothing is known until one step has finished while watched (a job's first steps may load a model: the mean settles).
/// </summary>
internal sealed class StepEta
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);

    /// <summary>Takes what <paramref name="job"/> (shown as <paramref name="label"/>) reports now; returns its time left, or null while unknown.</summary>
    public Estimate? Observe(string label, Job job)
    {
        TimeSpan now = _clock.Elapsed;
        lock (_seen)
        {
            if (job.State != JobState.Running)
            {
                _seen.Remove(label);
                return null;
            }
            if (!_seen.TryGetValue(label, out Seen? seen) || job.StepsDone < seen.LastSteps)
            {
                _seen[label] = new Seen(now, job.StepsDone, now, job.StepsDone); // first seen running, or resumed from an earlier checkpoint
                return null;
            }
            if (job.StepsDone > seen.LastSteps)
            {
                seen = _seen[label] = seen with { LastAt = now, LastSteps = job.StepsDone };
            }
            int measured = seen.LastSteps - seen.FirstSteps;
            if (measured <= 0)
            {
                return null;
            }
            double perStep = (seen.LastAt - seen.FirstAt).TotalSeconds / measured;
            double left = Math.Max(0, perStep * (job.StepsTotal - job.StepsDone) - (now - seen.LastAt).TotalSeconds);
            return new Estimate(TimeSpan.FromSeconds(perStep), TimeSpan.FromSeconds(left));
        }
    }

    /// <summary><c>1.2 s/step, ETA 14s</c>.</summary>
    public static string Describe(Estimate? estimate) => estimate is { } e
        ? string.Create(CultureInfo.InvariantCulture, $"{e.PerStep.TotalSeconds:0.00} s/step, ETA {Duration(e.Left)}")
        : "ETA --";

    /// <summary><c>14s</c>, <c>3m05s</c>, <c>2h10m</c>.</summary>
    public static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}h{t.Minutes:00}m"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0}s";

    /// <summary>Seconds per step measured so far, and the time left at that pace.</summary>
    public sealed record Estimate(TimeSpan PerStep, TimeSpan Left);

    private sealed record Seen(TimeSpan FirstAt, int FirstSteps, TimeSpan LastAt, int LastSteps);
}
