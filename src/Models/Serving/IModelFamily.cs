namespace Loom.Models.Serving;

/// <summary>
/// A kind of model a shard can host (the physics world model, Wan): recognises its files in the models folder and opens
/// them. Registered in <see cref="ModelFamilies.All"/>; adding one is a class here and a line there.
/// </summary>
public interface IModelFamily
{
    /// <summary>The family's name (<see cref="ShardModelInfo.Family"/>).</summary>
    string Name { get; }

    /// <summary>
    /// Looks at one file or folder directly inside the models folder (headers and configs only, no weights): null when
    /// it is not this family's, a <see cref="ModelFound"/> with the model or with why this family's entry is unusable.
    /// </summary>
    ModelFound? Recognise(string path, ModelOpenOptions options);

    /// <summary>A new, unloaded model for <paramref name="info"/> (one per shard: each device holds its own copy).</summary>
    IShardModel Open(ShardModelInfo info);
}
