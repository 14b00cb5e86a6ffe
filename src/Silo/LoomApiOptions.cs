namespace Loom.Silo;

/// <summary>
/// How the silo serves its public API and its metrics (configuration section <c>Loom</c>; validated at start by
/// <see cref="LoomApiOptionsValidator"/>). TLS is <see cref="LoomTlsOptions"/> (<c>Loom:Tls</c>).
/// </summary>
public sealed class LoomApiOptions
{
    /// <summary>
    /// Port of the public gRPC API (HTTP/2, with TLS when <see cref="LoomTlsOptions.CertificatePath"/> is set). 0: a free
    /// port the OS picks (see <see cref="LoomSiloHost.GrpcAddress"/>).
    /// </summary>
    public int GrpcPort { get; set; } = 7070;

    /// <summary>
    /// API keys a caller must send in the <c>x-api-key</c> header (every RPC but grpc.health.v1), each with an owner
    /// and a role (<see cref="ApiKey"/>; a plain string is an admin key, as before). None: the API listens on loopback
    /// only and takes no key, and every caller is an admin.
    /// </summary>
    public ApiKey[] ApiKeys { get; set; } = [];

    /// <summary>
    /// Port of <c>/metrics</c> (Prometheus text over HTTP/1.1, on all interfaces: metrics carry no job data, so no API
    /// key). 0 disables it; so does a <see cref="GrpcPort"/> of 0 (an in-process silo, such as the CLI's embedded one,
    /// whose ports the OS picks).
    /// </summary>
    public int MetricsPort { get; set; } = 9464;

    /// <summary>The port <c>/metrics</c> is served on, 0 for none.</summary>
    public int ServedMetricsPort => GrpcPort == 0 ? 0 : MetricsPort;

    /// <summary>Whether any key is configured (else the API listens on loopback only).</summary>
    public bool Keyed => ApiKeys.Any(k => !string.IsNullOrEmpty(k.Key));
}
