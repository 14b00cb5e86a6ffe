using Loom.Contracts.Jobs;
using Loom.Sampling.Sampler;

namespace Loom.Grains.Jobs;

/// <summary>
/// Live progress of an independent or chained run, where each window runs its own sampler start to finish and reports
/// its steps as they end (chained: one window after another; independent: all at once, from several threads). The job
/// reports it like a co-denoised one: steps done as the share of all window steps done (windows x steps make the
/// job's steps), refinement evaluations as they are spent, and per step the certain fraction averaged over the
/// windows that have finished that step.
/// </summary>
/// <param name="windows">Windows in the run.</param>
/// <param name="steps">Outer steps per window (the job's steps).</param>
/// <param name="passesPerPrediction">Forward passes per prediction (2 with classifier-free guidance).</param>
public sealed class WindowRunTally(int windows, int steps, int passesPerPrediction)
{
    private readonly Lock _lock = new();
    private readonly double[] _fractionSums = new double[steps];
    private readonly int[] _fractionCounts = new int[steps];
    private int _reports;
    private int _evaluations;
    private int _refine;
    private int _skipped;

    /// <summary>Takes one window's step report (any thread).</summary>
    public void Add(StepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            _reports++;
            _evaluations += report.Evaluations;
            _refine += Math.Max(0, report.Evaluations - passesPerPrediction); // prediction 0 of one window is the base
            _skipped += report.SkippedEvaluations;
            if (report.Step >= 0 && report.Step < steps)
            {
                _fractionSums[report.Step] += report.CertainFraction;
                _fractionCounts[report.Step]++;
            }
        }
    }

    /// <summary>Window steps done, in job steps: reaches the job's steps when every window has finished.</summary>
    public int StepsDone
    {
        get
        {
            lock (_lock)
            {
                return windows == 0 ? 0 : Math.Min(steps, _reports / windows);
            }
        }
    }

    /// <summary>Forward passes spent so far.</summary>
    public int Evaluations
    {
        get
        {
            lock (_lock)
            {
                return _evaluations;
            }
        }
    }

    /// <summary>Of those, spent by refinement iterations.</summary>
    public int RefineEvaluations
    {
        get
        {
            lock (_lock)
            {
                return _refine;
            }
        }
    }

    /// <summary>Forward passes saved by skipping.</summary>
    public int SkippedEvaluations
    {
        get
        {
            lock (_lock)
            {
                return _skipped;
            }
        }
    }

    /// <summary>Per step that some window has finished, its certain fraction averaged over those windows.</summary>
    public double[] CertainFractions()
    {
        lock (_lock)
        {
            int reached = Array.FindLastIndex(_fractionCounts, c => c > 0) + 1;
            return [.. Enumerable.Range(0, reached).Select(i => _fractionCounts[i] == 0 ? 0 : _fractionSums[i] / _fractionCounts[i])];
        }
    }

    /// <summary>
    /// <paramref name="status"/> of a running job with this run's window steps shown as they end (they are folded into
    /// the state only when the whole run ends).
    /// </summary>
    public JobStatus Over(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Phase != JobPhase.Running ? status : status with
        {
            StepsDone = StepsDone,
            Evaluations = status.Evaluations + Evaluations,
            RefineEvaluations = status.RefineEvaluations + RefineEvaluations,
            SkippedEvaluations = status.SkippedEvaluations + SkippedEvaluations,
            CertainFractions = CertainFractions(),
        };
    }
}
