using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Vae;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// The parts of one Wan model that run where its jobs run, not on the shards: the text encoder (UMT5, its prompt
/// embeddings cached by content hash in the silo's cache) and the VAE (image-to-video's image encode, the final decode).
/// One job at a time uses them (<see cref="Gate"/>); the shards hold the transformers.
/// </summary>
public sealed class WanJobModel : IDisposable
{
    private WanJobModel(WanModelFolder folder, UmT5TextEncoder text, WanVae vae, ScalarType computeType)
    {
        Folder = folder;
        Text = text;
        Vae = vae;
        ComputeType = computeType;
    }

    /// <summary>The model's folder.</summary>
    public WanModelFolder Folder { get; }

    /// <summary>The text encoder.</summary>
    public UmT5TextEncoder Text { get; }

    /// <summary>The VAE, in <see cref="ComputeType"/>.</summary>
    public WanVae Vae { get; }

    /// <summary>The dtype the VAE (and the shards' transformers) compute in.</summary>
    public ScalarType ComputeType { get; }

    /// <summary>Held while a job encodes or decodes with this model.</summary>
    public object Gate { get; } = new();

    /// <summary>
    /// Loads the text encoder (on <paramref name="textDevice"/>; float32 when the model computes in float32, as the
    /// in-process pipeline does, else bfloat16 as released) and the VAE of <paramref name="folder"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder is not a usable Wan model.</exception>
    public static WanJobModel Load(WanModelFolder folder, ScalarType computeType, string textDevice, ITextEmbeddingCache cache, int textLength)
    {
        if (!folder.IsModel)
        {
            throw new InvalidDataException($"{folder.Directory}: not a usable Wan model: {string.Join(" ", folder.Problems)}");
        }
        ScalarType textType = computeType == ScalarType.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
        UmT5TextEncoder text = UmT5TextEncoder.Load(
            folder.Component("tokenizer")!.Path,
            folder.Component("text_encoder")!.Path,
            new WanTextEncoderOptions(Device: textDevice, DType: textType, TextLength: textLength),
            cache);
        try
        {
            WanVae vae = WanVaeWeights.Load(folder.Component("vae")!.Path, computeType);
            return new WanJobModel(folder, text, vae, computeType);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Text.Dispose();
        Vae.Dispose();
    }
}
