using Loom.Models.Wan.Fixtures;
using Loom.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Runs <see cref="WanTransformer"/> in float32 on a <c>dit_t2v</c> or <c>dit_i2v</c> reference file: config from its
/// <c>config</c> metadata, weights from its <c>weights.*</c> (or the replacement given, under either naming), inputs as
/// the official call took them (one batch element); checks <c>output.y</c>, then every <c>debug.*</c> tensor.
/// </summary>
public sealed class WanDiTFixtureRunner : IWanFixtureRunner
{
    /// <summary>max abs tolerance of a float32 port (fixture README, section 6).</summary>
    public const double Tolerance = 1e-4;

    /// <inheritdoc />
    public IReadOnlyList<string> Kinds { get; } = ["dit_t2v", "dit_i2v"];

    /// <inheritdoc />
    public IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights = null)
        => Run(path, weights, ScalarType.Float32, Tolerance);

    /// <summary>As <see cref="Run(string, IReadOnlyDictionary{string, Tensor})"/> computing in <paramref name="computeType"/>, checked against <paramref name="tolerance"/>.</summary>
    public IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights, ScalarType computeType, double tolerance)
    {
        using WanFixture fixture = WanFixture.Load(path);
        using var source = new TensorDictionarySource(weights ?? fixture.Weights, path);
        WanTransformerConfig config = WanTransformerConfig.FromJson(fixture.Config, path) with { ImageDim = WanWeightLoader.ImageDim(source) };
        using var model = new WanTransformer(config, computeType);
        WanWeightLoader.Load(model, source);

        var captured = new Dictionary<string, Tensor>();
        model.Capture = (name, value) => captured[name] = value.detach().clone().DetachFromDisposeScope();
        try
        {
            using var scope = NewDisposeScope();
            Tensor? condition = fixture.Has("input.y") ? fixture.Input("y").unsqueeze(0) : null;
            Tensor? clip = fixture.Has("input.clip_fea") ? fixture.Input("clip_fea") : null;
            Tensor output = model.Forward(fixture.Input("x").unsqueeze(0), fixture.Input("t"), fixture.Input("context").unsqueeze(0), clip, condition);
            var checks = new List<TensorCheck> { TensorCheck.Compare("output.y", output[0], fixture.Outputs["y"], tolerance) };
            long seqLen = fixture.Has("input.seq_len") ? fixture.Input("seq_len").to(ScalarType.Int64).item<long>() : -1;
            foreach (var (name, expected) in fixture.Debug.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Tensor? actual = Reproduce(name, expected, captured, config);
                if (actual is null)
                {
                    continue;
                }
                Tensor reference = expected;
                if (expected.dim() >= 2 && expected.shape[1] == seqLen && actual.dim() == expected.dim() && actual.shape[1] < seqLen)
                {
                    reference = expected.narrow(1, 0, actual.shape[1]); // rows past the tokens are the official padding
                }
                checks.Add(TensorCheck.Compare("debug." + name, actual, reference, tolerance));
            }
            return checks;
        }
        finally
        {
            foreach (Tensor t in captured.Values)
            {
                t.Dispose();
            }
        }
    }

    private static Tensor? Reproduce(string name, Tensor expected, Dictionary<string, Tensor> captured, WanTransformerConfig config)
    {
        if (captured.TryGetValue(name, out Tensor? value))
        {
            return value;
        }
        foreach (string part in new[] { "cos", "sin" })
        {
            string prefix = $"rope_{part}_axis";
            if (name.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(prefix.Length), out int axis) && axis is >= 0 and < 3)
            {
                var (cos, sin) = WanRope.AxisTable(config.HeadDim, axis, checked((int)expected.shape[0]));
                return part == "cos" ? cos : sin;
            }
        }
        return null;
    }
}
