using System.Collections.Concurrent;

namespace Loom.Grains.Routing;

/// <summary>
/// Silos passed over for a while because a call there outlived many times its usual time (stopped, swapping, a wedged
/// device; not yet declared dead by membership): the router's evaluations and resident windows' placements go elsewhere
/// while any other silo can take them. A success on the silo clears it. Thread-safe.
/// </summary>
public sealed class HungSilos
{
    /// <summary>How long a silo is passed over after it was marked.</summary>
    public static readonly TimeSpan For = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    /// <summary>Passes <paramref name="silo"/> over for <see cref="For"/> from now.</summary>
    public void Mark(string silo) => _until[silo] = DateTimeOffset.UtcNow + For;

    /// <summary>A call to <paramref name="silo"/> succeeded: it is no longer passed over.</summary>
    public void Clear(string silo) => _until.TryRemove(silo, out _);

    /// <summary>True while <paramref name="silo"/> is passed over at <paramref name="now"/> (default: now).</summary>
    public bool IsHung(string silo, DateTimeOffset? now = null) => _until.TryGetValue(silo, out DateTimeOffset until) && until > (now ?? DateTimeOffset.UtcNow);
}
