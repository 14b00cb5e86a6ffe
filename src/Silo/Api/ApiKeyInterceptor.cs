using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Loom.Silo.Api;

/// <summary>
/// With <see cref="LoomHostOptions.ApiKeys"/> configured, every call but grpc.health.v1 (probes carry no key) must send
/// one of them in the <c>x-api-key</c> header, else UNAUTHENTICATED. Keys are compared by hash in constant time; the
/// key's owner and role become the call's <see cref="ApiCaller"/>.
/// </summary>
public sealed class ApiKeyInterceptor : Interceptor
{
    /// <summary>The header that carries the key.</summary>
    public const string Header = "x-api-key";

    private readonly (byte[] Hash, ApiCaller Caller)[] _keys;

    /// <summary>Hashes the configured keys once; a submitter key without an owner is refused here, naming its entry.</summary>
    public ApiKeyInterceptor(IOptions<LoomHostOptions> options)
    {
        Validate(options.Value.ApiKeys);
        _keys = options.Value.ApiKeys.Where(k => !string.IsNullOrEmpty(k.Key)).Select(k => (Hash(k.Key), new ApiCaller(k.Owner, k.Role == ApiKeyRole.Admin))).ToArray();
    }

    /// <summary>Refuses a submitter key without an owner, naming its entry (called at start-up, so a silo never serves with it).</summary>
    public static void Validate(ApiKey[] keys)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            if (!string.IsNullOrEmpty(keys[i].Key) && keys[i].Role == ApiKeyRole.Submitter && string.IsNullOrWhiteSpace(keys[i].Owner))
            {
                throw new InvalidOperationException($"Loom:ApiKeys:{i}:Owner is empty: a submitter key needs an owner (its jobs are recorded under it).");
            }
        }
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
