using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Transformer;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

public sealed class WanTransformerFixtureTests
{
    // Measured on output.y (magnitudes 1-6) against the float32 reference: bfloat16 3.85e-2 (t2v) and 2.99e-2 (i2v),
    // float16 4.33e-3 and 4.26e-3. The bounds are about 2.5x that (another CPU's kernels round differently); a
    // semantic error is O(0.1-1) (0.46 for masking the padded text rows).
    private const double BFloat16Tolerance = 0.1;

    private const double Float16Tolerance = 0.01;

    [Theory]
    [InlineData("dit_t2v_tiny.safetensors")]
    [InlineData("dit_i2v_tiny.safetensors")]
    public void Float32_reproduces_the_output_and_every_debug_tensor(string file)
    {
        string path = WanFixtureFiles.Path(file);
        IReadOnlyList<TensorCheck> checks = WanFixtureRunners.For(path).Run(path);

        using WanFixture fixture = WanFixture.Load(path);
        Assert.Equal("output.y", checks[0].Name);
        Assert.Equal(fixture.Debug.Keys.Select(k => "debug." + k).Order(StringComparer.Ordinal), checks.Skip(1).Select(c => c.Name));
        Assert.All(checks, c => Assert.True(c.MaxAbs <= 1e-4, $"{c.Name}: max abs {c.MaxAbs:e2} {c.Detail}"));
    }

    [Theory]
    [InlineData("dit_t2v_tiny.safetensors")]
    [InlineData("dit_i2v_tiny.safetensors")]
    public void Diffusers_names_give_the_same_output(string file)
    {
        string path = WanFixtureFiles.Path(file);
        using WanFixture fixture = WanFixture.Load(path);
        var renamed = fixture.Weights.ToDictionary(kv => WanWeightNames.ToDiffusers(kv.Key) ?? throw new InvalidOperationException(kv.Key), kv => kv.Value);
        Assert.Contains(renamed.Keys, k => k.StartsWith("condition_embedder.", StringComparison.Ordinal));

        IReadOnlyList<TensorCheck> official = new WanDiTFixtureRunner().Run(path);
        IReadOnlyList<TensorCheck> diffusers = new WanDiTFixtureRunner().Run(path, renamed);

        Assert.Equal(official.Select(c => (c.Name, c.MaxAbs)), diffusers.Select(c => (c.Name, c.MaxAbs)));
    }

    [Theory]
    [InlineData("dit_t2v_tiny.safetensors", ScalarType.BFloat16, BFloat16Tolerance)]
    [InlineData("dit_i2v_tiny.safetensors", ScalarType.BFloat16, BFloat16Tolerance)]
    [InlineData("dit_t2v_tiny.safetensors", ScalarType.Float16, Float16Tolerance)]
    [InlineData("dit_i2v_tiny.safetensors", ScalarType.Float16, Float16Tolerance)]
    public void Half_precision_stays_within_the_measured_tolerance(string file, ScalarType dtype, double tolerance)
    {
        TensorCheck output = new WanDiTFixtureRunner().Run(WanFixtureFiles.Path(file), null, dtype, tolerance)[0];

        Assert.Equal("output.y", output.Name);
        Assert.True(output.Pass, $"{dtype} output.y max abs {output.MaxAbs:e3} > {tolerance}");
        Assert.True(output.MaxAbs > 1e-5, $"{dtype} should differ from float32 (max abs {output.MaxAbs:e3}): is it really running in {dtype}?");
    }
}
