namespace Loom.Contracts.Shards;

/// <summary>A shard as the directory sees it.</summary>
/// <param name="ShardId">Grain key: the owning silo's address and the device index.</param>
/// <param name="Silo">The owning silo's address.</param>
/// <param name="Device">The device's id on its silo (cpu:0, cuda:1, ...).</param>
/// <param name="Models">Models loaded on it.</param>
/// <param name="QueueDepth">Requests waiting or running.</param>
/// <param name="LatencySeconds">Smoothed seconds per forward pass.</param>
/// <param name="Completed">Requests evaluated since start.</param>
/// <param name="Forwards">Forward passes run since start (fewer than requests when batching).</param>
/// <param name="BusySeconds">Seconds spent in forward passes since start.</param>
/// <param name="ReportedAt">When the silo reported it.</param>
/// <param name="Draining">Its silo is draining (shutting down): place work elsewhere unless no other shard is live.</param>
/// <param name="DeviceName">What the device is: the GPU's name (<c>NVIDIA H200</c>) or the CPU model.</param>
/// <param name="MemoryFreeBytes">Memory free on the device when reported (GPU memory; host memory for CPU shards); -1 unknown.</param>
/// <param name="MemoryTotalBytes">The device's memory in all (for CPU shards, the host's or the container's limit); -1 unknown.</param>
/// <param name="Experts">The experts held of models held by expert (<c>MODEL/high_noise</c>); null or empty when none.</param>
/// <param name="ModelBytes">Bytes the weights it holds take.</param>
/// <param name="ModelBudgetBytes">Bytes of weights it may hold in all (configured, or a GPU's memory); -1 unbounded.</param>
/// <param name="Loads">Models or experts loaded since start.</param>
/// <param name="Evictions">Models or experts freed since start to make room for another.</param>
[GenerateSerializer, Alias("loom.shard-info"), Immutable]
public sealed record ShardInfo(
    string ShardId,
    string Silo,
    string Device,
    IReadOnlyList<string> Models,
    int QueueDepth,
    double LatencySeconds,
    long Completed,
    long Forwards,
    double BusySeconds,
    DateTimeOffset ReportedAt,
    bool Draining = false,
    string DeviceName = "",
    long MemoryFreeBytes = -1,
    long MemoryTotalBytes = -1,
    IReadOnlyList<string>? Experts = null,
    long ModelBytes = 0,
    long ModelBudgetBytes = -1,
    long Loads = 0,
    long Evictions = 0)
{
    /// <summary>The key of expert <paramref name="expert"/> of <paramref name="model"/> in <see cref="Experts"/>.</summary>
    public static string ExpertKey(string model, string expert) => $"{model}/{expert}";

    /// <summary>
    /// True when it holds <paramref name="model"/> whole, or (<paramref name="expert"/> given) at least that expert of it.
    /// A model held by expert is not held whole.
    /// </summary>
    public bool Holds(string model, string? expert)
    {
        if (!Models.Contains(model))
        {
            return false;
        }
        string prefix = model + "/";
        bool byExpert = Experts is not null && Experts.Any(e => e.StartsWith(prefix, StringComparison.Ordinal));
        return !byExpert || (expert is not null && Experts!.Contains(ExpertKey(model, expert)));
    }

    /// <summary>Bytes of weights it can still take without freeing any; <see cref="long.MaxValue"/> when unbounded.</summary>
    public long RoomBytes => ModelBudgetBytes < 0 ? long.MaxValue : Math.Max(0, ModelBudgetBytes - ModelBytes);
}
