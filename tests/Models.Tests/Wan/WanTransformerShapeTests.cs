using Loom.Models.Wan.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

public sealed class WanTransformerShapeTests
{
    [Theory]
    [InlineData(128, 22, 21, 21)]
    [InlineData(16, 4, 2, 2)]
    [InlineData(32, 6, 5, 5)]
    public void RoPE_splits_the_head_as_the_reference(int headDim, int frames, int rows, int columns)
        => Assert.Equal(new[] { frames, rows, columns }, WanRope.AxisPairs(headDim));

    [Fact]
    public void A_batch_with_odd_frames_non_square_latents_and_other_head_dims_equals_each_element_alone()
    {
        // head_dim 32 (RoPE pairs 6, 5, 5), patch (1, 2, 2), 5 frames of 6 x 10 latents: nothing of the fixtures' shapes.
        var config = new WanTransformerConfig("t2v", [1, 2, 2], 24, 8, 96, 160, 32, 40, 8, 3, 2, true, true, 1e-6);
        using var model = new WanTransformer(config);
        var generator = new Generator(7);
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                p.copy_(randn(p.shape, generator: generator) * (name.Contains("norm") ? 0.1 : 0.2) + (name.Contains("norm") ? 1 : 0));
            }
        }
        using var scope = NewDisposeScope();
        Tensor x = randn([2, 8, 5, 6, 10], generator: generator);
        Tensor context = randn([2, 11, 40], generator: generator);
        Tensor t = tensor(new float[] { 999, 250.5f });

        Tensor both = model.Forward(x, t, context);

        Assert.Equal(new long[] { 2, 8, 5, 6, 10 }, both.shape);
        for (int i = 0; i < 2; i++)
        {
            Tensor alone = model.Forward(x.narrow(0, i, 1), t.narrow(0, i, 1), context.narrow(0, i, 1));
            double diff = (alone[0] - both[i]).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"element {i}: batched and alone differ by {diff}");
        }
        Assert.True((both[0] - both[1]).abs().max().item<float>() > 0.1, "the two elements should differ");
    }

    [Fact]
    public void A_latent_not_divisible_by_the_patch_is_refused()
    {
        var config = new WanTransformerConfig("t2v", [1, 2, 2], 4, 4, 12, 16, 8, 8, 4, 2, 1, true, true, 1e-6);
        using var model = new WanTransformer(config);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(zeros([1, 4, 2, 5, 4]), tensor(new float[] { 1 }), zeros([1, 2, 8])));

        Assert.Contains("not a multiple of the patch size 2", error.Message);
    }
}
