using TorchSharp;

namespace Loom.Models.Serving;

/// <summary>
/// A model of several experts that serve different noise levels (Wan2.2 A14B: high noise, then low noise), each loaded
/// on its own: a shard may hold one expert or all, as its memory allows, and a window needs only the expert its timestep
/// picks. <see cref="IShardModel.Load"/> loads every expert; <see cref="IShardModel.Evaluate"/> needs those its windows pick.
/// </summary>
public interface IExpertShardModel : IShardModel
{
    /// <summary>Every expert, in the order the noise falls (the names of <see cref="ModelMemory.Parts"/>).</summary>
    IReadOnlyList<string> Experts { get; }

    /// <summary>The experts on the device now.</summary>
    IReadOnlyList<string> LoadedExperts { get; }

    /// <summary>The expert that evaluates at <paramref name="timestep"/>.</summary>
    string ExpertAt(double timestep);

    /// <summary>Reads one expert's weights onto <paramref name="device"/> (once; later calls do nothing).</summary>
    /// <exception cref="ArgumentException">No such expert.</exception>
    /// <exception cref="InvalidDataException">The files do not hold it; the message names the file or tensor.</exception>
    void LoadExpert(string expert, torch.Device device);

    /// <summary>Frees one expert's weights (nothing when it is not loaded).</summary>
    void UnloadExpert(string expert);
}
