using Grpc.Core;

namespace Loom.Client.Api;

/// <summary>What an <see cref="RpcException"/> means to a user: a one-line message and the exit code.</summary>
/// <param name="ExitCode">One of <see cref="ExitCodes"/>.</param>
/// <param name="Message">What went wrong, naming the field for INVALID_ARGUMENT.</param>
/// <param name="Field">The refused field, when the server named one.</param>
public sealed record RpcFailure(int ExitCode, string Message, string? Field)
{
    /// <summary>The trailer in which the server names a refused field.</summary>
    public const string FieldTrailer = "loom-field";

    /// <summary>Maps <paramref name="e"/>; <paramref name="server"/> is named in connection errors.</summary>
    public static RpcFailure From(RpcException e, string server)
    {
        string detail = e.Status.Detail;
        return e.StatusCode switch
        {
            StatusCode.InvalidArgument => InvalidArgument(e),
            StatusCode.Unauthenticated => new(ExitCodes.Unauthenticated, $"unauthenticated: {Or(detail, "the server wants a valid --api-key")}", null),
            StatusCode.PermissionDenied => new(ExitCodes.Unauthenticated, $"permission denied: {Or(detail, "this API key may not do that")}", null),
            StatusCode.NotFound => new(ExitCodes.NotFound, $"not found: {Or(detail, "no such job")}", null),
            StatusCode.Unavailable => new(ExitCodes.Unavailable, $"server {server} unreachable: {Or(detail, "no connection")}", null),
            StatusCode.DeadlineExceeded => new(ExitCodes.Unavailable, $"server {server} did not answer in time: {Or(detail, "deadline exceeded")}", null),
            StatusCode.Cancelled => new(ExitCodes.Cancelled, "cancelled", null),
            StatusCode.FailedPrecondition => new(ExitCodes.JobFailed, $"failed precondition: {detail}", null),
            StatusCode.ResourceExhausted => new(ExitCodes.Unavailable, $"server {server} is out of resources: {Or(detail, "resource exhausted")}", null),
            StatusCode.DataLoss => new(ExitCodes.Internal, $"data loss on the server: {detail}", null),
            _ => new(ExitCodes.Internal, $"server error ({e.StatusCode}): {detail}", null),
        };
    }

    /// <summary>
    /// True when the same call may succeed if made again (to the same or another silo): UNAVAILABLE (a silo draining or
    /// gone, storage away for a moment), ABORTED, and a transport break the client reports as INTERNAL. Never a refused
    /// field, a full disk (RESOURCE_EXHAUSTED), corrupt data (DATA_LOSS) or a server bug (INTERNAL from the server).
    /// </summary>
    public static bool IsRetryable(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.Aborted => true,
        StatusCode.Internal => e.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal)
            || e.Status.Detail.StartsWith("Error reading next message", StringComparison.Ordinal),
        _ => false,
    };

    private static RpcFailure InvalidArgument(RpcException e)
    {
        string detail = e.Status.Detail;
        string? field = e.Trailers.GetValue(FieldTrailer);
        if (string.IsNullOrEmpty(field))
        {
            int colon = detail.IndexOf(':');
            field = colon > 0 && detail[..colon].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.') ? detail[..colon] : null;
        }
        string message = field is null || detail.StartsWith(field + ":", StringComparison.Ordinal) ? detail : $"{field}: {detail}";
        return new(ExitCodes.Usage, $"invalid argument: {message}", field);
    }

    private static string Or(string text, string fallback) => string.IsNullOrWhiteSpace(text) ? fallback : text;
}
