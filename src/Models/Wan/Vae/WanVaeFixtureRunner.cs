using Loom.Models.Wan.Fixtures;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Runs <see cref="WanVae"/> on a <c>vae</c> golden file: encodes <c>input.video</c> and <c>input.image</c> with the
/// file's latent statistics and decodes the stored <c>output.mu</c> / <c>output.image_mu</c> (unclamped, as the file
/// holds it), comparing the outputs and the <c>debug.*</c> intermediates (encoder chunks, <c>conv1</c> output,
/// decoder input) within 1e-4 max abs in float32.
/// </summary>
public sealed class WanVaeFixtureRunner : IWanFixtureRunner
{
    /// <summary>Max abs tolerance (fixtures README section 6; a faithful float32 port lands near 1e-6).</summary>
    public const double Tolerance = 1e-4;

    /// <inheritdoc />
    public IReadOnlyList<string> Kinds { get; } = ["vae"];

    /// <inheritdoc />
    public IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        using WanFixture fixture = WanFixture.Load(path);
        using var scope = NewDisposeScope();
        WanVaeConfig config = WanVaeConfig.FromJson(fixture.Config, path);
        float[] mean = fixture.Input("scale_mean").data<float>().ToArray();
        float[] inverseStd = fixture.Input("scale_inv_std").data<float>().ToArray();
        using WanVae vae = WanVaeWeights.FromWeights(weights ?? fixture.Weights, config, path, ScalarType.Float32, mean, inverseStd);
        var checks = new List<TensorCheck>();
        var debug = new List<TensorCheck>();
        foreach (string prefix in new[] { "", "image_" })
        {
            string input = prefix == "" ? "video" : "image";
            if (!fixture.Has("input." + input))
            {
                continue;
            }
            void Trace(string name, Tensor value)
            {
                if (fixture.Has("debug." + prefix + name))
                {
                    debug.Add(TensorCheck.Compare("debug." + prefix + name, value, fixture.Tensor("debug." + prefix + name), Tolerance));
                }
            }
            Tensor mu = vae.Encode(fixture.Input(input), Trace);
            checks.Add(TensorCheck.Compare($"output.{prefix}mu", mu, fixture.Tensor($"output.{prefix}mu"), Tolerance));
            Tensor decoded = vae.DecodeStream(fixture.Tensor($"output.{prefix}mu"), startsStream: true, drop: 0, tiling: null, Trace);
            checks.Add(TensorCheck.Compare($"output.{prefix}decoded", decoded, fixture.Tensor($"output.{prefix}decoded"), Tolerance));
        }
        return [.. checks, .. debug];
    }
}
