using Loom.Contracts.Jobs;
using Microsoft.Extensions.Logging;

namespace Loom.Grains.Jobs;

/// <summary>What a render job logs: its lifecycle, its loop's interruptions and its storage trouble.</summary>
internal static partial class RenderJobLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} accepted: {Frames} frames, {Steps} steps, plan {Plan}")]
    internal static partial void LogAccepted(ILogger logger, string jobId, int frames, int steps, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} resuming after step {Steps} on {Silo}")]
    internal static partial void LogResuming(ILogger logger, string jobId, int steps, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} completed: {Evaluations} evaluations on {Shards} shards, output {Output}")]
    internal static partial void LogCompleted(ILogger logger, string jobId, int evaluations, int shards, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} stopped after step {Steps} with a checkpoint: its silo is draining; it resumes on another silo")]
    internal static partial void LogDrained(ILogger logger, string jobId, int steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} moved its resident windows off draining shards after step {Steps}")]
    internal static partial void LogWindowsMoved(ILogger logger, string jobId, int steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} interrupted ({Failures} in a row: {Error}: {Detail}); it resumes from its checkpoint")]
    internal static partial void LogInterrupted(ILogger logger, string jobId, int failures, string error, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: the job index was not updated ({Error}: {Detail}); its list entry lags")]
    internal static partial void LogIndexFailed(ILogger logger, string jobId, string error, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: its checkpoint is unusable ({Detail}); deleted, the job restarts from step 0 (same bits)")]
    internal static partial void LogCorruptCheckpoint(ILogger logger, string jobId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: this loop was superseded by a newer one elsewhere ({Detail}); it stops without writing")]
    internal static partial void LogSuperseded(ILogger logger, string jobId, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} deleted (it was {Phase}): result, checkpoint, output and state removed")]
    internal static partial void LogDeleted(ILogger logger, string jobId, JobPhase phase);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId} failed")]
    internal static partial void LogFailed(ILogger logger, Exception exception, string jobId);
}
