using Grpc.Core;
using Grpc.Core.Interceptors;
using Loom.Grains.Jobs;

namespace Loom.Silo.Api;

/// <summary>Grain errors as API statuses: a refused spec field is INVALID_ARGUMENT naming it, an unknown job NOT_FOUND.</summary>
public sealed class ApiErrorInterceptor : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (Translate(e) is { } status)
        {
            throw status;
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
        catch (Exception e) when (Translate(e) is { } status)
        {
            throw status;
        }
    }

    /// <summary>The API status for a domain error, or null to let it pass.</summary>
    public static RpcException? Translate(Exception e) => e switch
    {
        InvalidJobSpecException invalid => ApiErrors.InvalidArgument(invalid.Field, invalid.Reason),
        JobNotFoundException missing => ApiErrors.JobNotFound(missing.JobId),
        _ => null,
    };
}
