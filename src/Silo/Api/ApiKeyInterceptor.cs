using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Loom.Silo.Api;

/// <summary>
/// With <see cref="LoomApiOptions.ApiKeys"/> configured, every call but grpc.health.v1 (probes carry no key) must send
/// one of them in the <c>x-api-key</c> header, else UNAUTHENTICATED. Keys are compared by hash in constant time; the
/// key's owner and role become the call's <see cref="ApiCaller"/>.
/// </summary>
public sealed class ApiKeyInterceptor : Interceptor
{
    /// <summary>The header that carries the key.</summary>
    public const string Header = "x-api-key";

    private readonly (byte[] Hash, ApiCaller Caller)[] _keys;

    /// <summary>Hashes the configured keys once (validated at start by <see cref="LoomApiOptionsValidator"/>).</summary>
    public ApiKeyInterceptor(IOptions<LoomApiOptions> options)
    {
        _keys = options.Value.ApiKeys.Where(k => !string.IsNullOrEmpty(k.Key)).Select(k => (Hash(k.Key), new ApiCaller(k.Owner, k.Role == ApiKeyRole.Admin))).ToArray();
    }

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (_keys.Length == 0 || context.Method.StartsWith("/grpc.health.v1.", StringComparison.Ordinal))
        {
            return;
        }
        string? key = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(key))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"this server needs an API key in the '{Header}' header."));
        }
        byte[] hash = Hash(key);
        ApiCaller? caller = null;
        foreach ((byte[] k, ApiCaller c) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(k, hash))
            {
                caller ??= c;
            }
        }
        if (caller is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the '{Header}' header holds no key this server knows."));
        }
        ApiCaller.Set(context, caller);
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
