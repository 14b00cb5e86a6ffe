using TorchSharp;

namespace Loom.Models.Serving;

/// <summary>
/// The model socket: one model as a shard hosts it. It says what it is (<see cref="Info"/>: shapes, conditioning,
/// memory, all from its files before anything is loaded), loads onto one device, evaluates a batch of windows in as few
/// forward passes as it can, and frees its memory when disposed. A shard calls it from one thread only.
/// Implementations come from <see cref="ModelFamilies"/>, chosen by the files in the models folder.
/// </summary>
public interface IShardModel : IDisposable
{
    /// <summary>What the model is and needs, known without loading it.</summary>
    ShardModelInfo Info { get; }

    /// <summary>True once <see cref="Load"/> has put the weights on a device.</summary>
    bool IsLoaded { get; }

    /// <summary>Reads the weights onto <paramref name="device"/> (once; later calls do nothing).</summary>
    /// <exception cref="InvalidDataException">The files do not hold this model; the message names the file or tensor.</exception>
    void Load(torch.Device device);

    /// <summary>Checks one window before it joins a batch, so a window that cannot be evaluated fails alone, not its batch.</summary>
    /// <exception cref="ArgumentException">The window's latent or conditioning does not fit the model; the message names it.</exception>
    void Check(ModelWindow window);

    /// <summary>
    /// The velocity of every window, one new tensor each (the caller owns them), shaped and typed as its latent, on the
    /// device the model was loaded on. Windows of one call share their shape <c>[C, F, H, W]</c> past the batch axis.
    /// </summary>
    /// <exception cref="ArgumentException">A window's latent or conditioning does not fit the model; the message names it.</exception>
    torch.Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows);
}
