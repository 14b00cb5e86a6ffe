using Loom.Models.Wan.Fixtures;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Runs a <c>t5</c> reference file: builds <see cref="UmT5Encoder"/> from its weights (shape read from them), encodes
/// <c>input.ids</c> / <c>input.mask</c> in float32 and checks <c>output.y</c> (1e-4), the valid lengths and the rows the
/// pipeline keeps (<c>output.seq_lens</c>, exact), <c>debug.rel_buckets</c> (exact) and every other <c>debug.*</c> (1e-4).
/// </summary>
public sealed class T5FixtureRunner : IWanFixtureRunner
{
    private const double Tolerance = 1e-4;

    /// <inheritdoc />
    public IReadOnlyList<string> Kinds { get; } = ["t5"];

    /// <inheritdoc />
    public IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        using WanFixture fixture = WanFixture.Load(path);
        using var scope = NewDisposeScope();
        using UmT5Encoder encoder = UmT5Encoder.Load(weights ?? fixture.Weights);
        Tensor ids = fixture.Input("ids");
        Tensor mask = fixture.Input("mask");
        var debug = new Dictionary<string, Tensor>();
        Tensor y = encoder.Trace(ids, mask, (name, t) => debug[name] = t.detach().clone().MoveToOuterDisposeScope());
        var checks = new List<TensorCheck> { TensorCheck.Compare("output.y", y, fixture.Outputs["y"], Tolerance) };
        IReadOnlyList<Tensor> kept = UmT5TextEncoder.KeepValidRows(y, mask);
        Tensor seqLens = tensor(kept.Select(k => k.shape[0]).ToArray());
        checks.Add(TensorCheck.Compare("output.seq_lens", seqLens, fixture.Outputs["seq_lens"], 0));
        Tensor expectedY = fixture.Outputs["y"];
        for (int b = 0; b < kept.Count; b++)
        {
            long rows = fixture.Outputs["seq_lens"][b].item<long>();
            checks.Add(TensorCheck.Compare($"output.y[{b}][:seq_lens[{b}]]", kept[b], expectedY[b].narrow(0, 0, Math.Min(rows, expectedY.shape[1])), Tolerance));
        }
        foreach (var (name, expected) in fixture.Debug.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            bool integer = expected.dtype == ScalarType.Int64;
            checks.Add(debug.TryGetValue(name, out Tensor? actual)
                ? TensorCheck.Compare("debug." + name, actual, expected, integer ? 0 : Tolerance)
                : new TensorCheck("debug." + name, double.PositiveInfinity, double.PositiveInfinity, 0, "not produced by the port"));
        }
        return checks;
    }
}
