using static TorchSharp.torch;

namespace Loom.Models.Weights;

/// <summary>Several sources (a sharded checkpoint's files) as one; a name stored twice is an error naming both files.</summary>
public sealed class TensorSourceSet : ITensorSource
{
    private readonly IReadOnlyList<ITensorSource> _sources;
    private readonly Dictionary<string, ITensorSource> _owner = new(StringComparer.Ordinal);

    /// <summary>Joins <paramref name="sources"/>, which this set then owns and disposes.</summary>
    /// <exception cref="InvalidDataException">Two sources hold the same tensor name.</exception>
    public TensorSourceSet(IReadOnlyList<ITensorSource> sources)
    {
        _sources = sources;
        foreach (ITensorSource source in sources)
        {
            foreach (string name in source.Names)
            {
                if (_owner.TryGetValue(name, out ITensorSource? other))
                {
                    throw new InvalidDataException($"tensor '{name}' is stored twice: in {other.Origin(name)} and {source.Origin(name)}.");
                }
                _owner[name] = source;
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names => _owner.Keys;

    /// <inheritdoc />
    public long[] Shape(string name) => Owner(name).Shape(name);

    /// <inheritdoc />
    public string Origin(string name) => Owner(name).Origin(name);

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination) => Owner(name).ReadInto(name, destination);

    private ITensorSource Owner(string name) => _owner.TryGetValue(name, out ITensorSource? s) ? s
        : throw new InvalidDataException($"no tensor '{name}' in {string.Join(", ", _sources.Select(x => x.Names.Count > 0 ? x.Origin(x.Names.First()) : "(empty)"))}.");

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ITensorSource source in _sources)
        {
            source.Dispose();
        }
    }
}
