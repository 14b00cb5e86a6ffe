using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loom.Contracts.Jobs;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using Loom.Protos.V1;
using Microsoft.Extensions.Logging;

namespace Loom.Silo.Api;

/// <summary>loom.v1.JobService over the render job grains, the job index and the result store.</summary>
public sealed partial class JobApi(
    IGrainFactory grains, JobSubmission submission, IResultStore results, SiloReadiness readiness, LoomMetrics metrics, ILogger<JobApi> logger)
    : JobService.JobServiceBase
{
    /// <summary>Bytes per download chunk.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Page size when the request names none.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Most ids one GetJobs call may ask for.</summary>
    public const int MaxJobIds = 1000;

    /// <summary>How often a watch looks at its job.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
        => ProtoJobs.ToProto(await submission.SubmitAsync(request, ApiCaller.Of(context), context.CancellationToken));

    /// <inheritdoc />
    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
        => ProtoJobs.ToProto(await StatusAsync(request.JobId, ApiCaller.Of(context), context.CancellationToken));

    /// <inheritdoc />
    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        await StatusAsync(request.JobId, ApiCaller.Of(context), context.CancellationToken); // another owner's job: NOT_FOUND
        return ProtoJobs.ToProto(await grains.GetGrain<IRenderJobGrain>(request.JobId).CancelAsync(request.Reason ?? "").WaitAsync(context.CancellationToken));
    }

    /// <inheritdoc />
    public override async Task<DeleteJobResponse> DeleteJob(DeleteJobRequest request, ServerCallContext context)
    {
        JobStatus status = await StatusAsync(request.JobId, ApiCaller.Of(context), context.CancellationToken); // another owner's job: NOT_FOUND
        if (!status.IsFinal && !request.Cancel)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"job '{status.JobId}' is {status.Phase.ToString().ToLowerInvariant()}; cancel it first, or delete with cancel set (loom delete --cancel)."));
        }
        JobStatus deleted = await grains.GetGrain<IRenderJobGrain>(request.JobId).DeleteAsync().WaitAsync(context.CancellationToken);
        return new DeleteJobResponse { Job = ProtoJobs.ToProto(deleted) };
    }

    /// <inheritdoc />
    /// <remarks>
    /// A watch ends when the silo starts to drain, with UNAVAILABLE and a message that says to watch again: an open
    /// stream never holds a stopping silo, and the job goes on elsewhere.
    /// </remarks>
    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, readiness.Draining);
        metrics.WatchStreams.Inc();
        try
        {
            await WatchAsync(request.JobId, ApiCaller.Of(context), responseStream, watch.Token);
        }
        catch (Exception e) when (readiness.Draining.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested && e is not RpcException { StatusCode: not StatusCode.Cancelled })
        {
            throw Draining();
        }
        finally
        {
            metrics.WatchStreams.Dec();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The batch's status channel. Why polling and not one multiplexed stream: a watch looks at its job's grain every
    /// 200 ms anyway (grain state is where progress lives), so a stream saves no grain calls; a unary call holds nothing
    /// on the silo between calls (no per-client set of ids to bound, nothing to hand over when a silo drains: the next
    /// poll simply goes to another silo), and a client polls only what it has in flight.
    /// </remarks>
    public override async Task<GetJobsResponse> GetJobs(GetJobsRequest request, ServerCallContext context)
    {
        if (request.JobIds.Count is 0 or > MaxJobIds)
        {
            throw ApiErrors.InvalidArgument("job_ids", $"must name 1 to {MaxJobIds} jobs; got {request.JobIds.Count}.");
        }
        foreach (string id in request.JobIds)
        {
            JobIds.Check(id);
        }
        ApiCaller caller = ApiCaller.Of(context);
        JobStatus?[] found = await Task.WhenAll(request.JobIds.Select(async id =>
        {
            try
            {
                return await StatusAsync(id, caller, context.CancellationToken);
            }
            catch (JobNotFoundException)
            {
                return null;
            }
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested && ApiErrorInterceptor.IsCorruptState(e))
            {
                metrics.CorruptData.WithLabels(LoomMetrics.CorruptJobState).Inc();
                LogCorruptJobState(logger, id, e.GetType().Name, LogText.Escape(e.Message));
                return null;
            }
        }));
        var response = new GetJobsResponse();
        for (int i = 0; i < found.Length; i++)
        {
            if (found[i] is not { } status)
            {
                response.Missing.Add(request.JobIds[i]);
                continue;
            }
            Job job = ProtoJobs.ToProto(status);
            if (request.Brief)
            {
                job.Windows.Clear();
                job.CertainFractions.Clear();
            }
            response.Jobs.Add(job);
        }
        return response;
    }

    /// <summary>UNAVAILABLE for a call this silo stops serving because it drains.</summary>
    public static RpcException Draining()
        => new(new Status(StatusCode.Unavailable, "this silo is draining (it is shutting down): watch again, on the same address or another silo; the job goes on."));

    private async Task WatchAsync(string jobId, ApiCaller caller, IServerStreamWriter<JobEvent> responseStream, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        JobStatus current = await StatusAsync(jobId, caller, cancellationToken);
        await responseStream.WriteAsync(Event(JobEventKind.Snapshot, current), cancellationToken);
        if (JobEvents.Final(current.Phase) is { } final)
        {
            await responseStream.WriteAsync(Event(final, current), cancellationToken);
            return;
        }
        while (!current.IsFinal)
        {
            await Task.Delay(WatchInterval, cancellationToken);
            JobStatus next;
            try
            {
                next = await StatusAsync(jobId, caller, cancellationToken);
            }
            catch (Exception e) when (e is not (RpcException or OperationCanceledException or JobNotFoundException))
            {
                continue; // the job's silo is going away; the grain comes back elsewhere
            }
            foreach (JobEventKind kind in JobEvents.Between(current, next))
            {
                await responseStream.WriteAsync(Event(kind, next), cancellationToken);
            }
            current = next;
        }
    }

    /// <inheritdoc />
    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0)
        {
            throw ApiErrors.InvalidArgument("page_size", $"must be 0 (default {DefaultPageSize}) to {MaxPageSize}; got {request.PageSize}.");
        }
        int size = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var query = new JobQuery(request.States.Select(ProtoJobs.FromProto).Distinct().ToArray(), request.Model ?? "", size, PageToken.Read(request.PageToken), ApiCaller.Of(context).ListedOwner);
        JobPage page = await grains.GetGrain<IJobIndexGrain>(JobIndexGrain.Key).ListAsync(query).WaitAsync(context.CancellationToken);
        JobStatus?[] jobs = await Task.WhenAll(page.Jobs.Select(async j =>
        {
            try
            {
                return await grains.GetGrain<IRenderJobGrain>(j.JobId).GetStatusAsync().WaitAsync(context.CancellationToken);
            }
            catch (JobNotFoundException)
            {
                return null;
            }
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested && ApiErrorInterceptor.IsCorruptState(e))
            {
                // One job's unreadable state must not hide every other job: left out, logged and counted.
                metrics.CorruptData.WithLabels(LoomMetrics.CorruptJobState).Inc();
                LogCorruptJobState(logger, j.JobId, e.GetType().Name, LogText.Escape(e.Message));
                return null;
            }
        }));
        var response = new ListJobsResponse { Total = page.Total, NextPageToken = page.Next is { } next ? PageToken.Write(next) : "" };
        response.Jobs.AddRange(jobs.OfType<JobStatus>().Select(ProtoJobs.ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task DownloadResult(DownloadResultRequest request, IServerStreamWriter<ResultChunk> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        JobStatus status = await StatusAsync(request.JobId, ApiCaller.Of(context), cancellationToken);
        if (status.Phase != JobPhase.Completed)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job '{status.JobId}' is {status.Phase.ToString().ToLowerInvariant()}; only a completed job has a result."));
        }
        (byte[] file, string sha) = await VerifiedResultAsync(status, cancellationToken);
        for (int offset = 0; offset == 0 || offset < file.Length; offset += ChunkBytes)
        {
            var chunk = new ResultChunk
            {
                Data = ByteString.CopyFrom(file, offset, Math.Min(ChunkBytes, file.Length - offset)),
                Offset = offset,
                TotalBytes = file.Length,
                Sha256 = offset == 0 ? sha : "",
            };
            await responseStream.WriteAsync(chunk, cancellationToken);
        }
    }

    /// <inheritdoc />
    public override async Task<SubmitBatchResponse> SubmitBatch(SubmitBatchRequest request, ServerCallContext context)
    {
        var response = new SubmitBatchResponse();
        for (int i = 0; i < request.Items.Count; i++)
        {
            var item = new BatchItemResult { Index = i };
            try
            {
                item.Job = ProtoJobs.ToProto(await submission.SubmitAsync(request.Items[i], ApiCaller.Of(context), context.CancellationToken));
            }
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
            {
                // A refused field names it; anything else (a silo going away) leaves the field empty: submit that item again.
                RpcException refused = ApiErrorInterceptor.Translate(e);
                item.Error = new FieldError { Field = refused.Trailers.GetValue(ApiErrors.FieldTrailer) ?? "", Message = refused.Status.Detail };
            }
            response.Items.Add(item);
        }
        return response;
    }

    /// <summary>
    /// The job's result from the result store, else from its output file, whichever matches the SHA-256 the job recorded
    /// when it wrote the result. A copy that does not match is never served: none left is DATA_LOSS.
    /// </summary>
    private async Task<(byte[] File, string Sha256)> VerifiedResultAsync(JobStatus status, CancellationToken cancellationToken)
    {
        bool corrupt = false;
        foreach (Func<Task<byte[]?>> source in new Func<Task<byte[]?>>[]
        {
            () => results.LoadAsync(status.JobId, cancellationToken),
            async () => status.OutputPath is { } path && File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null,
        })
        {
            if (await source() is not { } file)
            {
                continue;
            }
            string sha = Convert.ToHexStringLower(SHA256.HashData(file));
            if (status.ResultSha256 is null || sha == status.ResultSha256)
            {
                return (file, sha);
            }
            corrupt = true;
            metrics.CorruptData.WithLabels(LoomMetrics.CorruptResult).Inc();
            LogCorruptResult(logger, status.JobId, file.Length, status.ResultBytes);
        }
        throw corrupt
            ? new RpcException(new Status(StatusCode.DataLoss, $"the stored result of job '{status.JobId}' is corrupt (its SHA-256 differs from the one recorded when it was written); it is not served. Render the job again (same spec and seed: same bits)."))
            : new RpcException(new Status(StatusCode.NotFound, $"the result of job '{status.JobId}' is no longer stored."));
    }

    /// <summary>The job's status, if <paramref name="caller"/> may see it; else NOT_FOUND, as for a job that does not exist.</summary>
    private async Task<JobStatus> StatusAsync(string jobId, ApiCaller caller, CancellationToken cancellationToken)
    {
        JobIds.Check(jobId);
        JobStatus status = await grains.GetGrain<IRenderJobGrain>(jobId).GetStatusAsync().WaitAsync(cancellationToken);
        return caller.CanSee(status) ? status : throw new JobNotFoundException(jobId);
    }

    private static JobEvent Event(JobEventKind kind, JobStatus status)
        => new() { Kind = kind, Job = ProtoJobs.ToProto(status), At = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: a stored copy of its result ({Bytes} bytes; {Expected} written) does not match its SHA-256; not served")]
    private static partial void LogCorruptResult(ILogger logger, string jobId, long bytes, long expected);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: its state cannot be read ({Error}: {Detail}); left out of the list")]
    private static partial void LogCorruptJobState(ILogger logger, string jobId, string error, string detail);

    /// <summary>Opaque page tokens: the sequence number the next page starts below.</summary>
    private static class PageToken
    {
        private const string Prefix = "loom.v1.jobs:";

        public static string Write(long before) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + before)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static long? Read(string token)
        {
            if (string.IsNullOrEmpty(token))
            {
                return null;
            }
            try
            {
                string base64 = token.Replace('-', '+').Replace('_', '/');
                string text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
                if (text.StartsWith(Prefix, StringComparison.Ordinal) && long.TryParse(text.AsSpan(Prefix.Length), out long before) && before > 0)
                {
                    return before;
                }
            }
            catch (FormatException)
            {
            }
            throw ApiErrors.InvalidArgument("page_token", "not a token this server issued; pass next_page_token from the previous page.");
        }
    }
}
