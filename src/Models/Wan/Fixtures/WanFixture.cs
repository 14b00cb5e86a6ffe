using System.Text.Json;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Fixtures;

/// <summary>
/// One golden reference file (format <c>wan2.1-golden-v1</c>, see <c>tests/fixtures/wan/README.md</c>): the official
/// module's weights, the inputs it was called with, the outputs it produced and intermediates for debugging, plus the
/// constructor arguments (<c>config</c>) and call parameters (<c>fixture_params</c>) as JSON. Nothing about a fixture's
/// shapes is assumed here: every shape comes from the file.
/// </summary>
public sealed class WanFixture : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private WanFixture(string path, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _tensors = tensors;
        Metadata = metadata;
        Kind = metadata.TryGetValue("fixture", out string? kind) ? kind
            : throw new InvalidDataException($"{path}: no 'fixture' entry in the safetensors metadata, so this is not a Wan golden file.");
        Config = JsonDocument.Parse(metadata.GetValueOrDefault("config", "{}")).RootElement.Clone();
        Parameters = JsonDocument.Parse(metadata.GetValueOrDefault("fixture_params", "{}")).RootElement.Clone();
    }

    /// <summary>The file this was read from.</summary>
    public string Path { get; }

    /// <summary>The <c>fixture</c> metadata: <c>dit_t2v</c>, <c>dit_i2v</c>, <c>vae</c>, <c>t5</c>.</summary>
    public string Kind { get; }

    /// <summary>Every <c>__metadata__</c> entry.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The official constructor's arguments.</summary>
    public JsonElement Config { get; }

    /// <summary>The input shapes, timestep and padding the file was made with.</summary>
    public JsonElement Parameters { get; }

    /// <summary>Reads <paramref name="path"/> whole (fixtures are small).</summary>
    public static WanFixture Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        return new WanFixture(path, tensors, metadata);
    }

    /// <summary>The <c>weights.*</c> tensors under their official names (prefix removed).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => WithPrefix("weights.");

    /// <summary>The <c>output.*</c> tensors, prefix removed.</summary>
    public IReadOnlyDictionary<string, Tensor> Outputs => WithPrefix("output.");

    /// <summary>The <c>debug.*</c> tensors, prefix removed.</summary>
    public IReadOnlyDictionary<string, Tensor> Debug => WithPrefix("debug.");

    /// <summary>The input <c>input.<paramref name="name"/></c>; the error names the file and the tensor.</summary>
    public Tensor Input(string name) => Tensor("input." + name);

    /// <summary>Any tensor by its full name; the error names the file and the tensor.</summary>
    public Tensor Tensor(string name) => _tensors.TryGetValue(name, out Tensor? t) ? t
        : throw new InvalidDataException($"{Path}: no tensor '{name}'.");

    /// <summary>Whether the file holds <paramref name="name"/>.</summary>
    public bool Has(string name) => _tensors.ContainsKey(name);

    private Dictionary<string, Tensor> WithPrefix(string prefix) => _tensors
        .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Tensor t in _tensors.Values)
        {
            t.Dispose();
        }
    }
}
