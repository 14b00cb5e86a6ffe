using Loom.Grains.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>
/// Health of the silo for grpc.health.v1: serving once its heartbeat has reached the shard directory (Orleans is up and
/// the cluster answers), not serving while the last report is older than a few heartbeats, and not serving for good
/// once the silo drains; and not serving while its data directory is full (checked again by a small probe write at
/// each check, so it serves again as soon as space is freed), nor while Redis refuses writes (<see cref="StateStoreProbe"/>).
/// </summary>
public sealed class SiloReadiness(StorageHealth storage, IOptions<LoomHostOptions> options) : IHealthCheck
{
    private long _lastReportTicks;
    private volatile bool _draining;

    private readonly CancellationTokenSource _drain = new();

    /// <summary>Cancelled when the silo starts to drain (open watch streams end then, telling clients to reconnect).</summary>
    public CancellationToken Draining => _drain.Token;

    /// <summary>The silo is draining: NOT_SERVING from now on.</summary>
    public void Drain()
    {
        _draining = true;
        _drain.Cancel();
    }

    /// <summary>The heartbeat reached the directory just now.</summary>
    public void Reported() => Interlocked.Exchange(ref _lastReportTicks, DateTimeOffset.UtcNow.UtcTicks);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_draining)
        {
            return HealthCheckResult.Unhealthy("the silo is draining: it is leaving the cluster.");
        }
        long ticks = Interlocked.Read(ref _lastReportTicks);
        if (ticks == 0)
        {
            return HealthCheckResult.Unhealthy("the silo has not reached the cluster yet.");
        }
        await storage.ProbeAsync(Path.GetFullPath(options.Value.DataDirectory), cancellationToken).ConfigureAwait(false);
        if (storage.Full is { } full)
        {
            return HealthCheckResult.Unhealthy($"storage full: {full}; free space in the data directory.");
        }
        if (storage.StateStoreRefused is { } refused)
        {
            return HealthCheckResult.Unhealthy($"the state store (Redis) refuses writes: {refused}");
        }
        TimeSpan age = DateTimeOffset.UtcNow - new DateTimeOffset(ticks, TimeSpan.Zero);
        return age < TimeSpan.FromSeconds(15)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"no heartbeat reached the cluster for {age.TotalSeconds:F0} s.");
    }
}
