namespace Loom.EndToEnd.Tests;

/// <summary>
/// A silo with two admin keys configured as plain strings (the format before keys had owners) and two submitter keys
/// configured as objects; its <see cref="SiloFixture.Jobs"/> and <see cref="SiloFixture.Cluster"/> send the first.
/// </summary>
public sealed class KeyedSiloFixture : SiloFixture
{
    /// <summary>The admin keys (plain strings).</summary>
    public static readonly string[] Keys = ["e2e-key-one", "e2e-key-two"];

    /// <summary>The submitter keys, by owner.</summary>
    public static readonly IReadOnlyDictionary<string, string> Submitters = new Dictionary<string, string> { ["alice"] = "e2e-key-alice", ["bob"] = "e2e-key-bob", ["carol"] = "e2e-key-carol", ["dave"] = "e2e-key-dave", ["erin"] = "e2e-key-erin" };

    /// <summary>Sends the first key by default.</summary>
    public KeyedSiloFixture() => ApiKey = Keys[0];

    /// <inheritdoc />
    protected override IEnumerable<string> ExtraSettings => Keys.Select((k, i) => $"ApiKeys:{i}={k}")
        .Concat(Submitters.SelectMany((s, i) => new[] { $"ApiKeys:{Keys.Length + i}:Key={s.Value}", $"ApiKeys:{Keys.Length + i}:Owner={s.Key}", $"ApiKeys:{Keys.Length + i}:Role=submitter" }));
}
