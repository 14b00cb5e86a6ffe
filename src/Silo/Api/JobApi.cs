using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>loom.v1.JobService over the render job grains, the job index and the result store.</summary>
public sealed class JobApi(IGrainFactory grains, JobSubmission submission, IResultStore results) : JobService.JobServiceBase
{
    /// <summary>Bytes per download chunk.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Page size when the request names none.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>How often a watch looks at its job.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
        => ProtoJobs.ToProto(await submission.SubmitAsync(request, context.CancellationToken));

    /// <inheritdoc />
    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
        => ProtoJobs.ToProto(await StatusAsync(request.JobId, context.CancellationToken));

    /// <inheritdoc />
    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        JobIds.Check(request.JobId);
        return ProtoJobs.ToProto(await grains.GetGrain<IRenderJobGrain>(request.JobId).CancelAsync(request.Reason ?? "").WaitAsync(context.CancellationToken));
    }

    /// <inheritdoc />
    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        JobStatus current = await StatusAsync(request.JobId, cancellationToken);
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
                next = await StatusAsync(request.JobId, cancellationToken);
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
        var query = new JobQuery(request.States.Select(ProtoJobs.FromProto).Distinct().ToArray(), request.Model ?? "", size, PageToken.Read(request.PageToken));
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
        }));
        var response = new ListJobsResponse { Total = page.Total, NextPageToken = page.Next is { } next ? PageToken.Write(next) : "" };
        response.Jobs.AddRange(jobs.OfType<JobStatus>().Select(ProtoJobs.ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task DownloadResult(DownloadResultRequest request, IServerStreamWriter<ResultChunk> responseStream, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        JobStatus status = await StatusAsync(request.JobId, cancellationToken);
        if (status.Phase != JobPhase.Completed)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job '{status.JobId}' is {status.Phase.ToString().ToLowerInvariant()}; only a completed job has a result."));
        }
        byte[] file = await results.LoadAsync(status.JobId, cancellationToken)
            ?? (status.OutputPath is { } path && File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"the result of job '{status.JobId}' is no longer stored."));
        string sha = Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant();
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
                item.Job = ProtoJobs.ToProto(await submission.SubmitAsync(request.Items[i], context.CancellationToken));
            }
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
            {
                // A refused field names it; anything else (a silo going away) leaves the field empty: submit that item again.
                RpcException refused = e as RpcException ?? ApiErrorInterceptor.Translate(e) ?? new RpcException(new Status(StatusCode.Unavailable, $"{e.GetType().Name}: {e.Message}"));
                item.Error = new FieldError { Field = refused.Trailers.GetValue(ApiErrors.FieldTrailer) ?? "", Message = refused.Status.Detail };
            }
            response.Items.Add(item);
        }
        return response;
    }

    private async Task<JobStatus> StatusAsync(string jobId, CancellationToken cancellationToken)
    {
        JobIds.Check(jobId);
        return await grains.GetGrain<IRenderJobGrain>(jobId).GetStatusAsync().WaitAsync(cancellationToken);
    }

    private static JobEvent Event(JobEventKind kind, JobStatus status)
        => new() { Kind = kind, Job = ProtoJobs.ToProto(status), At = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };

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
