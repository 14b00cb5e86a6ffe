namespace Loom.Grains;

/// <summary>
/// One model named in configuration (section <c>Loom:Models:NAME</c>): a folder anywhere on the silo's disk (a Wan folder
/// in the official or Diffusers layout, as <c>loom models pull</c> writes it), the dtype its weights are computed in,
/// and where its text encoder runs. Models in <see cref="LoomCatalogOptions.ModelDirectory"/> are served without an entry,
/// under their folder's name, with these defaults.
/// </summary>
public sealed class LoomModelOptions
{
    /// <summary>The model's folder (absolute, or relative to the silo's working folder).</summary>
    public string Folder { get; set; } = "";

    /// <summary>
    /// The dtype the transformer and VAE are held and computed in: <c>float32</c> (default; exact on CPU, what the tests
    /// compare bit for bit) or <c>bfloat16</c> (half the memory; what a GPU pool serving 14B models wants).
    /// </summary>
    public string ComputeType { get; set; } = "float32";

    /// <summary>
    /// Where the UMT5 text encoder runs (the prompt is encoded once per job on the job's silo, then cached by content
    /// hash): <c>cpu</c> (default: keeps the 11 GB encoder off the GPUs that sample) or <c>cuda</c> (the silo's first GPU).
    /// </summary>
    public string TextEncoder { get; set; } = "cpu";

    /// <summary>The dtypes <see cref="ComputeType"/> accepts.</summary>
    public static IReadOnlyList<string> ComputeTypes { get; } = ["float32", "bfloat16"];

    /// <summary>The places <see cref="TextEncoder"/> accepts.</summary>
    public static IReadOnlyList<string> TextEncoderDevices { get; } = ["cpu", "cuda"];

    /// <summary>The first problem of the entry <paramref name="name"/>, naming its setting; null when it is usable.</summary>
    public string? Problem(string name)
    {
        string at = $"Loom:Models:{name}";
        if (string.IsNullOrWhiteSpace(Folder))
        {
            return $"{at}:Folder is required (the model's folder).";
        }
        if (!Directory.Exists(Folder))
        {
            return $"{at}:Folder '{Folder}' does not exist (in {Environment.CurrentDirectory}).";
        }
        if (!ComputeTypes.Contains(ComputeType))
        {
            return $"{at}:ComputeType '{ComputeType}' is not one of {string.Join(", ", ComputeTypes)}.";
        }
        if (!TextEncoderDevices.Contains(TextEncoder))
        {
            return $"{at}:TextEncoder '{TextEncoder}' is not one of {string.Join(", ", TextEncoderDevices)}.";
        }
        return null;
    }
}
