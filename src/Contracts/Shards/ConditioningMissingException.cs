namespace Loom.Contracts.Shards;

/// <summary>The shard has no cached conditioning under this key; resend the request with it.</summary>
[GenerateSerializer, Alias("loom.conditioning-missing")]
public sealed class ConditioningMissingException(string key) : Exception($"conditioning {key} is not cached on this shard.")
{
    /// <summary>The missing key.</summary>
    [Id(0)]
    public string Key { get; } = key;
}
