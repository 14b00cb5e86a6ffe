using Orleans.Runtime;

namespace Loom.Grains.Shards;

/// <summary>A shard's grain key, <c>{silo}/{index}</c>: the silo is part of the identity, so a shard never moves.</summary>
public static class ShardKey
{
    /// <summary>The key of device <paramref name="index"/> on <paramref name="silo"/>.</summary>
    public static string For(SiloAddress silo, int index) => $"{silo.ToParsableString()}/{index}";

    /// <summary>The silo part of a key, as <see cref="Contracts.Shards.ShardInfo.Silo"/> names it.</summary>
    public static string SiloOf(string key) => key[..Math.Max(0, key.LastIndexOf('/'))];

    /// <summary>Splits a key back into its silo and device index.</summary>
    /// <exception cref="FormatException">Not a shard key.</exception>
    public static (SiloAddress Silo, int Index) Parse(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1), out int index))
        {
            throw new FormatException($"'{key}' is not a shard key (silo/index).");
        }
        return (SiloAddress.FromParsableString(key[..slash]), index);
    }
}
