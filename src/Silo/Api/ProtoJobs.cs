using Google.Protobuf.WellKnownTypes;
using Loom.Contracts.Jobs;
using Loom.Sampling.Refinement;
using Proto = Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>Jobs and their states from the grains' records to the API's messages.</summary>
public static class ProtoJobs
{
    /// <summary>The API's view of <paramref name="status"/>.</summary>
    public static Proto.Job ToProto(JobStatus status)
    {
        var job = new Proto.Job
        {
            JobId = status.JobId,
            State = ToProto(status.Phase),
            Spec = ProtoSpecs.ToProto(status.Spec),
            StepsDone = status.StepsDone,
            StepsTotal = status.Spec.Steps,
            Evaluations = status.Evaluations,
            RefineEvaluations = status.RefineEvaluations,
            SkippedEvaluations = status.SkippedEvaluations,
            Error = status.Error ?? "",
            OutputPath = status.OutputPath ?? "",
            LatentSha256 = status.LatentSha256 ?? "",
            Resumes = status.Resumes,
            Retries = status.Retries,
            SubmittedAt = Timestamp.FromDateTimeOffset(status.SubmittedAt),
            StartedAt = status.StartedAt is { } started ? Timestamp.FromDateTimeOffset(started) : null,
            FinishedAt = status.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
            ExpiresAt = status.ExpiresAt is { } expires ? Timestamp.FromDateTimeOffset(expires) : null,
            Host = status.Host,
            IdempotencyKey = status.IdempotencyKey ?? "",
            ModelSha256 = status.ModelSha256 ?? "",
            ResultBytes = status.ResultBytes,
            Messages = status.Messages,
            BytesSent = status.BytesSent,
            BytesReceived = status.BytesReceived,
            PlannedWindowEvaluations = PlannedWindowEvaluations(status.Spec),
        };
        job.CertainFractions.AddRange(status.CertainFractions);
        job.Shards.AddRange(status.Shards);
        job.Windows.AddRange((status.Windows ?? []).Select(w => new Proto.WindowProgress
        {
            Index = w.Index,
            FirstFrame = w.FirstFrame,
            Length = w.Length,
            Evaluations = w.Evaluations,
            Skipped = w.Skipped,
        }));
        return job;
    }

    /// <summary>
    /// Most evaluations one window of <paramref name="spec"/> takes: its base predictions plus every refinement iteration
    /// of its plan, twice with guidance above 1 (as evaluations are counted); 0 for a plan that does not parse, which
    /// validation refuses before a job exists.
    /// </summary>
    public static long PlannedWindowEvaluations(JobSpec spec)
    {
        try
        {
            return RefinementPlan.Parse(spec.Plan).Nfe(spec.Steps, guided: spec.Guidance > 1);
        }
        catch (RefinementPlanException)
        {
            return 0;
        }
    }

    /// <summary>The API's name for <paramref name="phase"/>.</summary>
    public static Proto.JobState ToProto(JobPhase phase) => phase switch
    {
        JobPhase.Queued => Proto.JobState.Queued,
        JobPhase.Running => Proto.JobState.Running,
        JobPhase.Completed => Proto.JobState.Completed,
        JobPhase.Failed => Proto.JobState.Failed,
        JobPhase.Cancelled => Proto.JobState.Cancelled,
        _ => Proto.JobState.Unspecified,
    };

    /// <summary>The phase the API's <paramref name="state"/> names.</summary>
    /// <exception cref="Grpc.Core.RpcException">UNSPECIFIED or an unknown value (InvalidArgument, field <c>states</c>).</exception>
    public static JobPhase FromProto(Proto.JobState state) => state switch
    {
        Proto.JobState.Queued => JobPhase.Queued,
        Proto.JobState.Running => JobPhase.Running,
        Proto.JobState.Completed => JobPhase.Completed,
        Proto.JobState.Failed => JobPhase.Failed,
        Proto.JobState.Cancelled => JobPhase.Cancelled,
        _ => throw ApiErrors.InvalidArgument("states", $"unknown job state {(int)state}."),
    };
}
