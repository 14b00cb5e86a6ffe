namespace Loom.Grains.Resilience;

/// <summary>
/// Names a resilience pipeline of the registry: <see cref="Name"/> chooses the definition (and is the telemetry's
/// <c>pipeline.name</c>), <see cref="Instance"/> one pipeline of it (<c>pipeline.instance</c>: a shard id for the
/// per-shard circuit breakers, empty for the pipelines a silo has one of).
/// </summary>
/// <param name="Name">The definition, e.g. <c>loom-storage</c>.</param>
/// <param name="Instance">One instance of it, or empty.</param>
public readonly record struct LoomPipelineKey(string Name, string Instance = "")
{
    /// <summary>Compares keys by <see cref="Name"/> only: every instance is built from its name's one definition.</summary>
    public static IEqualityComparer<LoomPipelineKey> ByName { get; } = EqualityComparer<LoomPipelineKey>.Create(
        (a, b) => string.Equals(a.Name, b.Name, StringComparison.Ordinal), k => StringComparer.Ordinal.GetHashCode(k.Name ?? ""));
}
