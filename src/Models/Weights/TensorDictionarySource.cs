using static TorchSharp.torch;

namespace Loom.Models.Weights;

/// <summary>Tensors already in memory (tests, fixtures) as an <see cref="ITensorSource"/>; the tensors stay the caller's.</summary>
/// <param name="tensors">The tensors by name; borrowed.</param>
/// <param name="origin">What to call their origin in errors.</param>
public sealed class TensorDictionarySource(IReadOnlyDictionary<string, Tensor> tensors, string origin) : ITensorSource
{
    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => tensors.Keys.ToArray();

    /// <inheritdoc />
    public long[] Shape(string name) => Get(name).shape;

    /// <inheritdoc />
    public string Origin(string name) => origin;

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination)
    {
        Tensor source = Get(name);
        if (!source.shape.SequenceEqual(destination.shape))
        {
            throw new InvalidDataException($"{origin}: tensor '{name}' has shape [{string.Join(", ", source.shape)}]; the model expects [{string.Join(", ", destination.shape)}].");
        }
        using (no_grad())
        {
            destination.copy_(source);
        }
    }

    private Tensor Get(string name) => tensors.TryGetValue(name, out Tensor? t) ? t : throw new InvalidDataException($"{origin}: no tensor '{name}'.");

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
