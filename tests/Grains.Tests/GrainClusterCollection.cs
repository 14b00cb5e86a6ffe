namespace Loom.Grains.Tests;

/// <summary>The test classes that share one <see cref="GrainCluster"/> (started once: about a second).</summary>
[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainCluster>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "grain cluster";
}
