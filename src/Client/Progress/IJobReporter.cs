using Loom.Protos.V1;

namespace Loom.Client.Progress;

/// <summary>Shows what jobs are doing: bars, plain lines or JSON lines.</summary>
internal interface IJobReporter
{
    /// <summary>An event of the job shown as <paramref name="label"/> (the job id, a batch item id, baseline/refined).</summary>
    void Report(string label, JobEvent e);

    /// <summary>A line of its own (starting a silo, downloading, writing).</summary>
    void Message(string text);
}
