using Grpc.Core;
using Grpc.Core.Interceptors;
using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Loom.Grains.Jobs;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Loom.Silo.Api;

/// <summary>
/// Every error a handler throws as an API status a client can act on, never UNKNOWN: a refused spec field is
/// INVALID_ARGUMENT naming it, an unknown job NOT_FOUND, storage or cluster away UNAVAILABLE (retry), a full disk
/// RESOURCE_EXHAUSTED, corrupt stored data DATA_LOSS, anything else INTERNAL with the error's type and message.
/// </summary>
public sealed partial class ApiErrorInterceptor(ILogger<ApiErrorInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            throw Logged(Translate(e), e, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            throw Logged(Translate(e), e, context);
        }
    }

    /// <summary>The API status for <paramref name="e"/> (an <see cref="RpcException"/> as it is).</summary>
    public static RpcException Translate(Exception e)
    {
        Exception inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : e;
        return inner switch
        {
            RpcException rpc => rpc,
            InvalidJobSpecException invalid => ApiErrors.InvalidArgument(invalid.Field, invalid.Reason),
            JobNotFoundException missing => ApiErrors.JobNotFound(missing.JobId),
            _ when StorageFullException.IsDiskFull(inner) => Status(StatusCode.ResourceExhausted,
                $"the silo's storage is full ({Detail(inner)}). Free space in its data directory (or give it more); retrying sooner fails the same way."),
            _ when IsCorruptState(inner) => Status(StatusCode.DataLoss,
                $"stored data is corrupt ({Detail(inner)}). The silo log names the file or key; an operator must restore or remove it."),
            _ when IsUnavailable(inner) => Status(StatusCode.Unavailable,
                $"the cluster or its storage is not reachable right now ({Detail(inner)}); retry in a few seconds, or on another silo."),
            OperationCanceledException => Status(StatusCode.Unavailable, "the operation was interrupted on the silo (it may be stopping); retry."),
            _ => Status(StatusCode.Internal, $"internal error ({Detail(inner)}). The silo log has the details; please report it."),
        };
    }

    /// <summary>True when <paramref name="e"/> is stored data that cannot be read back (a corrupt state file, checkpoint or serialized value).</summary>
    public static bool IsCorruptState(Exception e)
    {
        for (Exception? at = e; at is not null; at = at.InnerException)
        {
            if (CorruptStateException.IsCorrupt(at) || at.GetType().Name.Contains("Serializ", StringComparison.Ordinal) && at.GetType().Namespace?.StartsWith("Orleans", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True for errors that pass when the cluster or its storage comes back: Redis away, a silo gone, a timeout.</summary>
    private static bool IsUnavailable(Exception e)
    {
        for (Exception? at = e; at is not null; at = at.InnerException)
        {
            if (at is RedisConnectionException or RedisTimeoutException or TimeoutException or SiloUnavailableException
                or OrleansMessageRejectionException or Loom.Contracts.Shards.ShardUnavailableException)
            {
                return true;
            }
        }
        return false;
    }

    private static RpcException Status(StatusCode code, string detail) => new(new Status(code, detail));

    private static string Detail(Exception e) => $"{e.GetType().Name}: {LogText.Escape(e.Message)}";

    private RpcException Logged(RpcException status, Exception e, ServerCallContext context)
    {
        if (status.StatusCode is StatusCode.Internal or StatusCode.DataLoss or StatusCode.ResourceExhausted)
        {
            LogFailed(logger, e, context.Method, status.StatusCode);
        }
        return status;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed: answered {Status}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, StatusCode status);
}
