namespace Loom.EndToEnd.Tests;

/// <summary>Tests that share one silo process (<see cref="SiloFixture"/>, no API keys); they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "silo";
}
