namespace Loom.Grains;

/// <summary>
/// How long a window evaluation may take and how often it is tried (configuration section <c>Loom</c>, validated at
/// start by <see cref="Configuration.LoomEvaluationOptionsValidator"/>; every value has a working default).
/// </summary>
public sealed class LoomEvaluationOptions
{
    /// <summary>
    /// Longest one window evaluation may take before it is retried elsewhere: the timeout of a shard not measured yet
    /// (one loading its model), and the ceiling of the timeout derived from a shard's measured latency (see
    /// <see cref="EvaluationTimeoutMultiple"/>). With the multiple 0, the one fixed timeout.
    /// </summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A measured shard's evaluation timeout is this many times the 99th percentile of its last call times (at least
    /// <see cref="EvaluationTimeoutFloor"/>, at most <see cref="EvaluationTimeout"/>), so a hung shard is abandoned in
    /// seconds, not minutes. 0: always <see cref="EvaluationTimeout"/>.
    /// </summary>
    public double EvaluationTimeoutMultiple { get; set; } = 10;

    /// <summary>Shortest evaluation timeout derived from measured latency.</summary>
    public TimeSpan EvaluationTimeoutFloor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Attempts per window evaluation, on different shards where there are several. With exponential backoff capped at
    /// 4 s, the default 8 spans about 20 s: long enough for membership to declare a dead silo and its shards gone.
    /// </summary>
    public int EvaluationAttempts { get; set; } = 8;
}
