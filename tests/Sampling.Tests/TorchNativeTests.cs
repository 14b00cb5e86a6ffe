using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>The native backend loads and computes (on Debian 12 this needs the build's libLibTorchSharp fix).</summary>
public sealed class TorchNativeTests
{
    [Fact]
    public void Matmul_gives_the_known_product()
    {
        using var a = tensor(new float[,] { { 1, 2 }, { 3, 4 } });
        using var b = tensor(new float[,] { { 5, 6 }, { 7, 8 } });
        using var product = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, product.data<float>().ToArray());
    }

    [Fact]
    public void Scaled_dot_product_attention_matches_softmax_attention_written_out()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(7);
        var q = randn([2, 3, 5, 8], generator: generator);
        var k = randn([2, 3, 5, 8], generator: generator);
        var v = randn([2, 3, 5, 8], generator: generator);
        var fused = nn.functional.scaled_dot_product_attention(q, k, v);
        var manual = matmul(softmax(matmul(q, k.transpose(-2, -1)) / Math.Sqrt(8), -1), v);
        Assert.True(allclose(fused, manual, rtol: 1e-5, atol: 1e-5), $"max difference {(fused - manual).abs().max().item<float>()}");
    }

    [Fact]
    public void Bfloat16_matmul_runs_close_to_float32()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(11);
        var a = randn([16, 16], generator: generator);
        var b = randn([16, 16], generator: generator);
        var exact = matmul(a, b);
        var half = matmul(a.to(ScalarType.BFloat16), b.to(ScalarType.BFloat16)).to(ScalarType.Float32);
        Assert.Equal(ScalarType.BFloat16, a.to(ScalarType.BFloat16).dtype);
        double relative = ((half - exact).norm() / exact.norm()).item<float>();
        Assert.InRange(relative, 0.0, 0.02);
    }
}
