using System.Diagnostics;
using System.Globalization;
using Loom.Client.Cli;
using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>
/// One overall progress line for a batch of any size: finished of total, done / running / queued / failed, throughput
/// and ETA, redrawn in place on a terminal and printed at most every few seconds into a log. Each submitted item also
/// gets one "ID (job JOB): submitted" line when the output is not a terminal (a log then names every job). Quiet with --json.
/// </summary>
internal sealed class BatchProgress(Terminal terminal, int total) : IJobReporter
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DrawEvery = TimeSpan.FromMilliseconds(250);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, JobState> _active = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private TimeSpan? _printed;
    private int _done;
    private int _failed;

    /// <summary>An item's job was accepted.</summary>
    public void Submitted(string label, Job job)
    {
        lock (_lock)
        {
            _active[label] = job.State;
            if (!terminal.Interactive)
            {
                terminal.Line($"{label} (job {job.JobId}): submitted");
            }
        }
        Print(force: false);
    }

    /// <inheritdoc />
    public void Report(string label, JobEvent e)
    {
        lock (_lock)
        {
            if (_active.ContainsKey(label) && !JobFollower.IsFinal(e.Job.State))
            {
                _active[label] = e.Job.State;
            }
        }
        Print(force: false);
    }

    /// <inheritdoc />
    public void Message(string text) => terminal.Line(text);

    /// <summary>An item ended (its output written, or not).</summary>
    public void Finished(string label, bool ok)
    {
        lock (_lock)
        {
            _active.Remove(label);
            if (ok)
            {
                _done++;
            }
            else
            {
                _failed++;
            }
        }
        Print(force: false);
    }

    /// <summary>Prints the line now (at the end, or when interrupted), ending a line drawn in place.</summary>
    public void Final()
    {
        Print(force: true);
        if (terminal.Interactive)
        {
            Console.Out.WriteLine();
        }
    }

    /// <summary>The line as it is now.</summary>
    public string Describe()
    {
        lock (_lock)
        {
            int running = _active.Values.Count(s => s == JobState.Running);
            int queued = _active.Count - running;
            int finished = _done + _failed;
            double minutes = _clock.Elapsed.TotalMinutes;
            double rate = minutes > 0 ? finished / minutes : 0;
            int waiting = total - finished - _active.Count;
            string eta = finished == 0 || rate <= 0 ? "ETA --" : $"ETA {Duration(TimeSpan.FromMinutes((total - finished) / rate))}";
            return string.Create(CultureInfo.InvariantCulture,
                $"batch: {finished}/{total} finished ({_done} done, {_failed} failed), {running} running, {queued} queued, {waiting} not submitted; {rate:0.0} items/min; {eta}; {Duration(_clock.Elapsed)} so far");
        }
    }

    private void Print(bool force)
    {
        if (terminal.Json)
        {
            return;
        }
        lock (_lock)
        {
            TimeSpan now = _clock.Elapsed;
            if (!force && _printed is { } last && now - last < (terminal.Interactive ? DrawEvery : LogEvery))
            {
                return;
            }
            _printed = now;
            if (terminal.Interactive)
            {
                string line = Describe();
                int width = Math.Max(20, Console.WindowWidth - 1);
                Console.Out.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
            }
            else
            {
                terminal.Line(Describe());
            }
        }
    }

    private static string Duration(TimeSpan t) => StepEta.Duration(t);
}
