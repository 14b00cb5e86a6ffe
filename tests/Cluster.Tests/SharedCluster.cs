namespace Loom.Cluster.Tests;

/// <summary>
/// Three silos of two shards each, shared by the tests that do not kill anything. Its jobs hold their latent and send each
/// window's slice every round (<c>ResidentWindows=false</c>): these tests check that path's routing, wire precision and
/// accounting; resident windows, the default for videos of two windows or more, are checked by ResidentWindowTests and
/// by every test on its own cluster.
/// </summary>
public sealed class SharedCluster : IAsyncLifetime
{
    /// <summary>The cluster.</summary>
    public LoomTestCluster Cluster { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Cluster = await LoomTestCluster.StartAsync(silos: 3, shardsPerSilo: 2,
        settings: new Dictionary<string, string> { ["MaxRunningJobs"] = "6", ["ResidentWindows"] = "false" });

    /// <inheritdoc />
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The collection of tests on <see cref="SharedCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedCluster>
{
    /// <summary>Collection name.</summary>
    public const string Name = "shared cluster";
}
