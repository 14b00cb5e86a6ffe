namespace Loom.EndToEnd.Tests;

/// <summary>A silo with two API keys configured; its <see cref="SiloFixture.Jobs"/> and <see cref="SiloFixture.Cluster"/> send the first.</summary>
public sealed class KeyedSiloFixture : SiloFixture
{
    /// <summary>The configured keys.</summary>
    public static readonly string[] Keys = ["e2e-key-one", "e2e-key-two"];

    /// <summary>Sends the first key by default.</summary>
    public KeyedSiloFixture() => ApiKey = Keys[0];

    /// <inheritdoc />
    protected override IEnumerable<string> ExtraSettings => Keys.Select((k, i) => $"ApiKeys:{i}={k}");
}
