using Loom.Contracts.Storage;
using Microsoft.Extensions.Logging;

namespace Loom.Grains.Storage;

/// <summary>
/// Whether the silo's data directory takes writes: set when a write fails for want of space, cleared by the next write
/// that succeeds (or a probe write, see <see cref="ProbeAsync"/>). Shown as <c>loom_storage_full</c> and on readiness.
/// </summary>
public sealed partial class StorageHealth(LoomMetrics metrics, ILogger<StorageHealth> logger)
{
    private volatile string? _full;
    private volatile string? _stateRefused;

    /// <summary>Why writes fail now (null: they do not).</summary>
    public string? Full => _full;

    /// <summary>Why the cluster's state store (Redis) refuses writes now (null: it takes them, or the silo has none).</summary>
    public string? StateStoreRefused => _stateRefused;

    /// <summary>The outcome of a probe write to the state store: <paramref name="reason"/> why it was refused, or null if it was taken.</summary>
    public void StateStoreProbed(string? reason)
    {
        string? before = _stateRefused;
        _stateRefused = reason;
        metrics.StateStoreRefusingWrites.Set(reason is null ? 0 : 1);
        if (reason is not null && before is null)
        {
            LogStateRefused(logger, reason);
        }
        else if (reason is null && before is not null)
        {
            LogStateRecovered(logger);
        }
    }

    /// <summary>Records the outcome of a write: a disk-full error marks the storage full.</summary>
    public void Failed(string what, Exception e)
    {
        if (StorageFullException.IsDiskFull(e))
        {
            if (_full is null)
            {
                LogFull(logger, what, e.Message);
            }
            _full = $"no space left to write {what}";
            metrics.StorageFull.Set(1);
        }
    }

    /// <summary>A write succeeded: the storage takes writes again.</summary>
    public void Succeeded()
    {
        if (_full is not null)
        {
            _full = null;
            metrics.StorageFull.Set(0);
            LogRecovered(logger);
        }
    }

    /// <summary>While marked full, writes and removes a small file in <paramref name="directory"/>; success clears the mark.</summary>
    public async Task ProbeAsync(string directory, CancellationToken cancellationToken = default)
    {
        if (_full is null)
        {
            return;
        }
        string probe = Path.Combine(directory, $".loom-space-probe{AtomicFile.TemporarySuffix}");
        try
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllBytesAsync(probe, new byte[64 << 10], cancellationToken).ConfigureAwait(false);
            Succeeded();
        }
        catch (IOException e)
        {
            Failed("a space probe", e);
        }
        finally
        {
            AtomicFile.Remove(probe);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "storage full: {What} could not be written ({Detail}); submits answer RESOURCE_EXHAUSTED and readiness is NOT_SERVING until space is freed")]
    private static partial void LogFull(ILogger logger, string what, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "the state store refuses writes: {Reason}; readiness is NOT_SERVING until it takes them again")]
    private static partial void LogStateRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "the state store takes writes again")]
    private static partial void LogStateRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "storage takes writes again")]
    private static partial void LogRecovered(ILogger logger);
}
