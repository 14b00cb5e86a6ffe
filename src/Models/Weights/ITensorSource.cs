using static TorchSharp.torch;

namespace Loom.Models.Weights;

/// <summary>
/// Named tensors that can be read one at a time into an existing tensor of another dtype, so a loader fills a model
/// without ever holding a second full copy of its weights.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>Every tensor name.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The stored shape of <paramref name="name"/>.</summary>
    long[] Shape(string name);

    /// <summary>Where <paramref name="name"/> is stored (a file path), for error messages.</summary>
    string Origin(string name);

    /// <summary>Copies <paramref name="name"/> into <paramref name="destination"/> (same shape), converting to its dtype.</summary>
    /// <exception cref="InvalidDataException">The shapes differ; the message names the tensor and its origin.</exception>
    void ReadInto(string name, Tensor destination);
}
