using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Loom.Silo;

/// <summary>
/// Health of the silo for grpc.health.v1: serving once its heartbeat has reached the shard directory (Orleans is up and
/// the cluster answers), not serving while the last report is older than a few heartbeats, and not serving for good
/// once the silo drains.
/// </summary>
public sealed class SiloReadiness : IHealthCheck
{
    private long _lastReportTicks;
    private volatile bool _draining;

    /// <summary>The silo is draining: NOT_SERVING from now on.</summary>
    public void Drain() => _draining = true;

    /// <summary>The heartbeat reached the directory just now.</summary>
    public void Reported() => Interlocked.Exchange(ref _lastReportTicks, DateTimeOffset.UtcNow.UtcTicks);

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_draining)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the silo is draining: it is leaving the cluster."));
        }
        long ticks = Interlocked.Read(ref _lastReportTicks);
        if (ticks == 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the silo has not reached the cluster yet."));
        }
        TimeSpan age = DateTimeOffset.UtcNow - new DateTimeOffset(ticks, TimeSpan.Zero);
        return Task.FromResult(age < TimeSpan.FromSeconds(15)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"no heartbeat reached the cluster for {age.TotalSeconds:F0} s."));
    }
}
