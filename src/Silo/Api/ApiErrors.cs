using Grpc.Core;

namespace Loom.Silo.Api;

/// <summary>The API's errors: a refused field is INVALID_ARGUMENT, its message starts with the field, trailer <c>loom-field</c> names it.</summary>
public static class ApiErrors
{
    /// <summary>Trailer that names the refused field.</summary>
    public const string FieldTrailer = "loom-field";

    /// <summary>INVALID_ARGUMENT for <paramref name="field"/>: "<c>field: message</c>".</summary>
    public static RpcException InvalidArgument(string field, string message)
        => new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"), new Metadata { { FieldTrailer, field } });

    /// <summary>NOT_FOUND for a job id.</summary>
    public static RpcException JobNotFound(string jobId) => new(new Status(StatusCode.NotFound, $"job '{jobId}' does not exist."));
}
