namespace Loom.Models.Wan.Folders;

/// <summary>
/// Which files of a Wan repository a model needs, by path alone: what <c>loom models pull</c> downloads (the rest of a
/// hub repository, <c>assets/</c>, <c>examples/</c>, README, licence, ModelScope's <c>configuration.json</c>, is left)
/// and what the silo recognises as a Wan file lying outside a model folder.
/// </summary>
public static class WanModelFiles
{
    /// <summary>Folders copied whole (small files: tokenizers, configs), besides the weights.</summary>
    private static readonly string[] _folders = ["google/umt5-xxl/", "xlm-roberta-large/", "tokenizer/", "scheduler/", "image_processor/"];

    /// <summary>Folders that hold one component's config and safetensors.</summary>
    private static readonly string[] _components = ["high_noise_model/", "low_noise_model/", "transformer/", "transformer_2/", "vae/", "text_encoder/", "image_encoder/"];

    /// <summary>True when the file at <paramref name="path"/> (relative to the repository, '/' separated) belongs to the model.</summary>
    public static bool IsNeeded(string path)
    {
        path = path.Replace('\\', '/');
        if (path.Split('/').Any(segment => segment.StartsWith('.') || segment.Length == 0))
        {
            return false;
        }
        string name = path[(path.LastIndexOf('/') + 1)..];
        if (!path.Contains('/', StringComparison.Ordinal))
        {
            return name is "config.json" or "model_index.json" || IsWanFile(name);
        }
        if (_folders.Any(f => path.StartsWith(f, StringComparison.Ordinal)))
        {
            return !IsMedia(name);
        }
        string? component = _components.FirstOrDefault(f => path.StartsWith(f, StringComparison.Ordinal));
        return component is not null
            && path.IndexOf('/', component.Length) < 0
            && (name == "config.json" || name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal));
    }

    /// <summary>True for the file names only a Wan model has (weights, VAE, T5 and CLIP pickles).</summary>
    public static bool IsWanFile(string name)
        => name.StartsWith("diffusion_pytorch_model", StringComparison.Ordinal) && (name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal))
            || name is OfficialLayout.Vae21 or OfficialLayout.Vae22 or OfficialLayout.T5
            || name.StartsWith("models_clip_", StringComparison.Ordinal) && name.EndsWith(".pth", StringComparison.Ordinal);

    /// <summary>True when <paramref name="directory"/> holds a Wan file at its top.</summary>
    public static bool Looks(string directory)
        => Directory.EnumerateFiles(directory).Any(f => IsWanFile(Path.GetFileName(f)));

    private static bool IsMedia(string name)
        => Path.GetExtension(name).ToLowerInvariant() is ".gif" or ".mp4" or ".png" or ".jpg" or ".jpeg" or ".webp" or ".md";
}
