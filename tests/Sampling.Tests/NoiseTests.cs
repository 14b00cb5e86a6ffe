using Loom.Sampling.Noise;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

public sealed class NoiseTests
{
    [Fact]
    public void Noise_is_a_pure_function_of_seed_step_and_iteration()
    {
        using var scope = NewDisposeScope();
        long[] shape = [4, 6, 8];
        Assert.True(Bits.Same(DeterministicNoise.Sample(9, 3, 1, shape), DeterministicNoise.Sample(9, 3, 1, shape)));
        Assert.False(Bits.Same(DeterministicNoise.Sample(9, 3, 1, shape), DeterministicNoise.Sample(9, 3, 2, shape)));
        Assert.False(Bits.Same(DeterministicNoise.Sample(9, 3, 1, shape), DeterministicNoise.Sample(9, 4, 1, shape)));
        Assert.False(Bits.Same(DeterministicNoise.Sample(9, 3, 1, shape), DeterministicNoise.Sample(10, 3, 1, shape)));
    }

    [Fact]
    public void A_batch_row_is_that_seed_drawn_alone()
    {
        using var scope = NewDisposeScope();
        long[] shape = [2, 3];
        Tensor batch = DeterministicNoise.Batch([4, 5, 6], 2, 1, shape);
        Assert.Equal(new long[] { 3, 2, 3 }, batch.shape);
        Assert.True(Bits.Same(batch[1], DeterministicNoise.Sample(5, 2, 1, shape)));
    }

    [Fact]
    public void Noise_is_standard_normal()
    {
        using var scope = NewDisposeScope();
        Tensor noise = DeterministicNoise.Sample(1, 0, 0, [100_000]);
        Assert.InRange(noise.mean().item<float>(), -0.02, 0.02);
        Assert.InRange(noise.std().item<float>(), 0.98, 1.02);
    }

    [Fact]
    public void Stream_seeds_do_not_collide_for_neighbouring_coordinates()
    {
        var seeds = new HashSet<ulong>();
        for (long seed = 0; seed < 8; seed++)
        {
            for (int step = -1; step < 50; step++)
            {
                for (int iteration = 0; iteration < 4; iteration++)
                {
                    Assert.True(seeds.Add(DeterministicNoise.StreamSeed(seed, step, iteration)));
                }
            }
        }
    }
}
