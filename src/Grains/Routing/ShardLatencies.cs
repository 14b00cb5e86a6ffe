using System.Collections.Concurrent;

namespace Loom.Grains.Routing;

/// <summary>
/// The evaluation timeout of each shard, derived from the call times this router measured there: a multiple of their
/// 99th percentile, never below a floor and never above <see cref="LoomEvaluationOptions.EvaluationTimeout"/> (also the timeout
/// of a shard with too few measurements, e.g. one still loading its model). A hung shard is so abandoned within
/// seconds on a small model and within a bound proportional to its own speed on a large one.
/// </summary>
public sealed class ShardLatencies(LoomEvaluationOptions options)
{
    /// <summary>Calls remembered per shard (the percentile is over these).</summary>
    public const int Window = 256;

    /// <summary>Measurements a shard needs before its timeout is derived from them.</summary>
    public const int MinSamples = 8;

    private readonly ConcurrentDictionary<string, Samples> _shards = new(StringComparer.Ordinal);

    private readonly Samples _all = new();

    /// <summary>Records a successful call of <paramref name="seconds"/> to <paramref name="shardId"/>.</summary>
    public void Observe(string shardId, double seconds)
    {
        _shards.GetOrAdd(shardId, _ => new Samples()).Add(seconds);
        _all.Add(seconds);
    }

    /// <summary>The 99th percentile of the shard's measured call times, or null with fewer than <see cref="MinSamples"/>.</summary>
    public double? P99(string shardId) => _shards.TryGetValue(shardId, out Samples? samples) ? samples.Percentile(0.99) : null;

    /// <summary>
    /// The timeout of one call to <paramref name="shardId"/>: <see cref="LoomEvaluationOptions.EvaluationTimeoutMultiple"/> x p99
    /// (the shard's own, or, while it has too few measurements, that of every shard this router called), at least
    /// <see cref="LoomEvaluationOptions.EvaluationTimeoutFloor"/>, at most <see cref="LoomEvaluationOptions.EvaluationTimeout"/>; the latter
    /// alone where the multiple is 0 (the fixed timeout of old), nothing is measured yet, or the shard has still to load
    /// the model (<paramref name="modelLoaded"/> false: loading a large model takes long and is not a hang).
    /// </summary>
    public TimeSpan TimeoutFor(string shardId, bool modelLoaded = true)
    {
        TimeSpan ceiling = options.EvaluationTimeout;
        if (options.EvaluationTimeoutMultiple <= 0 || !modelLoaded || (P99(shardId) ?? _all.Percentile(0.99)) is not { } p99)
        {
            return ceiling;
        }
        TimeSpan derived = TimeSpan.FromSeconds(p99 * options.EvaluationTimeoutMultiple);
        TimeSpan floor = options.EvaluationTimeoutFloor < ceiling ? options.EvaluationTimeoutFloor : ceiling;
        return derived < floor ? floor : derived > ceiling ? ceiling : derived;
    }

    private sealed class Samples
    {
        private readonly double[] _ring = new double[Window];
        private int _count;
        private int _next;

        public void Add(double seconds)
        {
            lock (_ring)
            {
                _ring[_next] = seconds;
                _next = (_next + 1) % Window;
                _count = Math.Min(_count + 1, Window);
            }
        }

        public double? Percentile(double p)
        {
            double[] sorted;
            lock (_ring)
            {
                if (_count < MinSamples)
                {
                    return null;
                }
                sorted = _ring[.._count];
            }
            Array.Sort(sorted);
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        }
    }
}
