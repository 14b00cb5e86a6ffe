using System.Diagnostics;
using System.Globalization;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>
/// Time left of each running job, from its own measured step times: the seconds per step over its last few step
/// changes seen (from the first time it was seen running), times the steps left, less the time already spent on the
/// current step. Nothing is known until one step has finished while watched.
/// </summary>
internal sealed class StepEta
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    /// <summary>Step changes the pace is measured over.</summary>
    private const int Samples = 8;

    private readonly Dictionary<string, Queue<(TimeSpan At, int Steps)>> _seen = new(StringComparer.Ordinal);

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
            if (!_seen.TryGetValue(label, out Queue<(TimeSpan At, int Steps)>? seen) || job.StepsDone < seen.Last().Steps)
            {
                _seen[label] = new Queue<(TimeSpan, int)>([(now, job.StepsDone)]); // first seen running, or resumed from an earlier checkpoint
                return null;
            }
            if (job.StepsDone > seen.Last().Steps)
            {
                seen.Enqueue((now, job.StepsDone));
                if (seen.Count > Samples)
                {
                    seen.Dequeue(); // the recent pace: a first step that loaded a model does not weigh on the ETA for long
                }
            }
            (TimeSpan firstAt, int firstSteps) = seen.Peek();
            (TimeSpan lastAt, int lastSteps) = seen.Last();
            if (lastSteps <= firstSteps)
            {
                return null;
            }
            double perStep = (lastAt - firstAt).TotalSeconds / (lastSteps - firstSteps);
            double left = Math.Max(0, perStep * (job.StepsTotal - job.StepsDone) - (now - lastAt).TotalSeconds);
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
}
