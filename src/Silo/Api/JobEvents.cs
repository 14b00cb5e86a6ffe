using Loom.Contracts.Jobs;
using Proto = Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>The events a watcher sees between two looks at a job.</summary>
public static class JobEvents
{
    /// <summary>What changed from <paramref name="before"/> to <paramref name="after"/>, in the order it happened.</summary>
    public static IReadOnlyList<Proto.JobEventKind> Between(JobStatus before, JobStatus after)
    {
        var kinds = new List<Proto.JobEventKind>();
        if (before.Phase != JobPhase.Queued && after.Phase == JobPhase.Queued)
        {
            kinds.Add(Proto.JobEventKind.Queued);
        }
        if (before.Phase == JobPhase.Queued && after.Phase != JobPhase.Queued && after.StartedAt is not null)
        {
            kinds.Add(Proto.JobEventKind.Started);
        }
        if (after.StepsDone > before.StepsDone)
        {
            kinds.Add(Proto.JobEventKind.Step);
        }
        else if (after.Phase == JobPhase.Running && Evaluations(after) != Evaluations(before))
        {
            kinds.Add(Proto.JobEventKind.Windows);
        }
        if (!before.IsFinal && Final(after.Phase) is { } final)
        {
            kinds.Add(final);
        }
        return kinds;
    }

    /// <summary>The event that ends a watch of a job in <paramref name="phase"/>, or null while it is not final.</summary>
    public static Proto.JobEventKind? Final(JobPhase phase) => phase switch
    {
        JobPhase.Completed => Proto.JobEventKind.Completed,
        JobPhase.Failed => Proto.JobEventKind.Failed,
        JobPhase.Cancelled => Proto.JobEventKind.Cancelled,
        _ => null,
    };

    private static long Evaluations(JobStatus status) => (status.Windows ?? []).Sum(w => w.Evaluations);
}
