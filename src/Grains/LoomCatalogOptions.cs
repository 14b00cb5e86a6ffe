namespace Loom.Grains;

/// <summary>
/// Which models a silo serves (configuration section <c>Loom</c>, validated at start by
/// <see cref="Configuration.LoomCatalogOptionsValidator"/>): every model found in <see cref="ModelDirectory"/>, and those
/// named in <see cref="Models"/>.
/// </summary>
public sealed class LoomCatalogOptions
{
    /// <summary>Folder of model weights (<c>*.safetensors</c>); the bundled physics model lives in <c>models/</c>.</summary>
    public string ModelDirectory { get; set; } = "models";

    /// <summary>Models named in configuration (<c>Loom:Models:NAME</c>): folder, compute dtype, where the text encoder runs.</summary>
    public Dictionary<string, LoomModelOptions> Models { get; set; } = new(StringComparer.Ordinal);
}
