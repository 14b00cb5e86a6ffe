using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Loom.Protos.V1;

namespace Loom.Client.Api;

/// <summary>
/// A typed client over the <c>loom.v1</c> gRPC API. Every unary call carries a deadline (<see cref="CallTimeout"/>) and,
/// when an API key is set, the <c>x-api-key</c> header. Errors surface as <see cref="RpcException"/>.
/// </summary>
public sealed class LoomClient : IDisposable
{
    /// <summary>The metadata header that carries the API key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    private readonly GrpcChannel[] _channels;
    private readonly string? _apiKey;
    private readonly Lock _switch = new();
    private int _current;
    private JobService.JobServiceClient _jobs;
    private ClusterService.ClusterServiceClient _cluster;

    /// <summary>A client on <paramref name="channel"/>, which it owns and disposes.</summary>
    /// <param name="channel">The channel to the server.</param>
    /// <param name="apiKey">API key sent with every call, or null.</param>
    /// <param name="callTimeout">Deadline of each unary call; default 30 s.</param>
    public LoomClient(GrpcChannel channel, string? apiKey = null, TimeSpan? callTimeout = null)
        : this([channel], apiKey, callTimeout)
    {
    }

    /// <summary>A client on the first of <paramref name="channels"/>, which it owns and disposes; <see cref="FailOver"/> moves it to the next.</summary>
    public LoomClient(IReadOnlyList<GrpcChannel> channels, string? apiKey = null, TimeSpan? callTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(channels.Count);
        _channels = [.. channels];
        _jobs = new JobService.JobServiceClient(_channels[0]);
        _cluster = new ClusterService.ClusterServiceClient(_channels[0]);
        _apiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>Deadline of each unary call, from the moment it starts.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>Longest a result download may take.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The address of the server calls go to now.</summary>
    public string Target => _channels[_current].Target;

    /// <summary>Connects to <paramref name="address"/> (<c>http://</c> for plaintext HTTP/2, <c>https://</c> for TLS).</summary>
    public static LoomClient Connect(Uri address, string? apiKey = null, TimeSpan? callTimeout = null) => Connect([address], apiKey, callTimeout);

    /// <summary>Connects to the first of <paramref name="addresses"/>, the others standing by for <see cref="FailOver"/>.</summary>
    public static LoomClient Connect(IReadOnlyList<Uri> addresses, string? apiKey = null, TimeSpan? callTimeout = null)
        => new([.. addresses.Select(a => GrpcChannel.ForAddress(a, new GrpcChannelOptions { MaxReceiveMessageSize = 256 << 20, MaxSendMessageSize = 256 << 20 }))], apiKey, callTimeout);

    /// <summary>
    /// Moves later calls to the next server given (round robin; with one server it stays), after a retryable failure of
    /// this one (it drains, or went away). Returns the address calls go to now.
    /// </summary>
    public string FailOver()
    {
        lock (_switch)
        {
            _current = (_current + 1) % _channels.Length;
            _jobs = new JobService.JobServiceClient(_channels[_current]);
            _cluster = new ClusterService.ClusterServiceClient(_channels[_current]);
            return _channels[_current].Target;
        }
    }

    /// <summary>Submits one job; with <paramref name="idempotencyKey"/> a repeat returns the job first created.</summary>
    public async Task<Job> SubmitAsync(JobSpec spec, string? idempotencyKey = null, string? jobId = null, CancellationToken cancellationToken = default)
    {
        var request = new SubmitJobRequest { Spec = spec, IdempotencyKey = idempotencyKey ?? "", JobId = jobId ?? "" };
        return await _jobs.SubmitJobAsync(request, Unary(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Submits many jobs in one call; each item is accepted or refused on its own.</summary>
    public async Task<IReadOnlyList<BatchItemResult>> SubmitBatchAsync(IEnumerable<SubmitJobRequest> items, CancellationToken cancellationToken = default)
    {
        var request = new SubmitBatchRequest();
        request.Items.AddRange(items);
        SubmitBatchResponse response = await _jobs.SubmitBatchAsync(request, Unary(cancellationToken)).ConfigureAwait(false);
        return response.Items;
    }

    /// <summary>The job as it is now.</summary>
    public async Task<Job> GetAsync(string jobId, CancellationToken cancellationToken = default)
        => await _jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, Unary(cancellationToken)).ConfigureAwait(false);

    /// <summary>Many jobs as they are now (at most 1000 ids); <paramref name="brief"/> leaves out windows and certain fractions.</summary>
    public async Task<GetJobsResponse> GetManyAsync(IEnumerable<string> jobIds, bool brief, CancellationToken cancellationToken = default)
    {
        var request = new GetJobsRequest { Brief = brief };
        request.JobIds.AddRange(jobIds);
        return await _jobs.GetJobsAsync(request, Unary(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Cancels the job; a job already final comes back unchanged.</summary>
    public async Task<Job> CancelAsync(string jobId, string reason, CancellationToken cancellationToken = default)
        => await _jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId, Reason = reason }, Unary(cancellationToken)).ConfigureAwait(false);

    /// <summary>Deletes the job (result, checkpoint, state); a queued or running one only with <paramref name="cancel"/>. Returns it as it was.</summary>
    public async Task<Job> DeleteAsync(string jobId, bool cancel, CancellationToken cancellationToken = default)
        => (await _jobs.DeleteJobAsync(new DeleteJobRequest { JobId = jobId, Cancel = cancel }, Unary(cancellationToken)).ConfigureAwait(false)).Job;

    /// <summary>One page of jobs, newest first.</summary>
    public async Task<ListJobsResponse> ListAsync(IEnumerable<JobState> states, int pageSize = 0, string? pageToken = null, string? model = null, CancellationToken cancellationToken = default)
    {
        var request = new ListJobsRequest { PageSize = pageSize, PageToken = pageToken ?? "", Model = model ?? "" };
        request.States.AddRange(states);
        return await _jobs.ListJobsAsync(request, Unary(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The cluster: silos, shards, models and the queue.</summary>
    public async Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default)
        => await _cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), Unary(cancellationToken)).ConfigureAwait(false);

    /// <summary>
    /// The job's events until it ends. A server stream has no deadline (it lasts as long as the job); cancel it with
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using AsyncServerStreamingCall<JobEvent> call = _jobs.WatchJob(new WatchJobRequest { JobId = jobId }, new CallOptions(Headers(), cancellationToken: cancellationToken));
        await foreach (JobEvent e in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <summary>
    /// The result file of a completed job, checked against the SHA-256 the server sends with the first chunk.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes do not add up to what the server announced.</exception>
    public async Task<byte[]> DownloadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var options = new CallOptions(Headers(), DateTime.UtcNow + DownloadTimeout, cancellationToken);
        using AsyncServerStreamingCall<ResultChunk> call = _jobs.DownloadResult(new DownloadResultRequest { JobId = jobId }, options);
        using var buffer = new MemoryStream();
        long total = -1;
        string sha = "";
        await foreach (ResultChunk chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (total < 0)
            {
                total = chunk.TotalBytes;
                sha = chunk.Sha256;
            }
            if (chunk.Offset != buffer.Length)
            {
                throw new InvalidDataException($"result of {jobId}: chunk at offset {chunk.Offset}, expected {buffer.Length}.");
            }
            chunk.Data.WriteTo(buffer);
        }
        byte[] bytes = buffer.ToArray();
        if (total >= 0 && bytes.LongLength != total)
        {
            throw new InvalidDataException($"result of {jobId}: got {bytes.LongLength} bytes, the server announced {total}.");
        }
        if (!string.IsNullOrEmpty(sha) && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"result of {jobId}: SHA-256 does not match the server's.");
        }
        return bytes;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (GrpcChannel channel in _channels)
        {
            channel.Dispose();
        }
    }

    private CallOptions Unary(CancellationToken cancellationToken) => new(Headers(), DateTime.UtcNow + CallTimeout, cancellationToken);

    private Metadata? Headers() => _apiKey is null ? null : new Metadata { { ApiKeyHeader, _apiKey } };
}
