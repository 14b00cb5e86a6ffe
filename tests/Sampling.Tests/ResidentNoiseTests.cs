using Loom.Sampling.Noise;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>The resident windows in one place share one whole-video noise draw per round, and each gets its frames of it exactly.</summary>
public sealed class ResidentNoiseTests
{
    private static readonly long[] Seeds = [7, 11];
    private static readonly long[] Shape = [3, 40, 5, 7];

    [Fact]
    public async Task Windows_get_their_frames_of_the_whole_video_noise_from_one_draw_per_round()
    {
        var plan = new WindowPlan(40, 16, 4);
        using var noise = new ResidentNoise(Seeds, Shape);
        for (int iteration = 1; iteration <= 2; iteration++)
        {
            foreach (TemporalWindow window in plan.Windows)
            {
                using Tensor shared = await noise.WindowAsync(3, iteration, window, ScalarType.Float32, CPU);
                using Tensor alone = DeterministicNoise.Batch(Seeds, 3, iteration, [3, window.Length, 5, 7], slice: new NoiseSlice(2, window.Start, 40));
                Assert.True(Bits.Same(alone, shared), $"window {window.Index}, iteration {iteration}");
            }
        }
        Assert.Equal(2, noise.Draws);
    }

    [Fact]
    public async Task Only_the_latest_rounds_are_kept_and_an_older_one_is_drawn_again_with_the_same_bits()
    {
        var window = new WindowPlan(40, 16, 4).Windows[1];
        using var noise = new ResidentNoise(Seeds, Shape);
        using Tensor first = await noise.WindowAsync(0, 1, window, ScalarType.Float32, CPU);
        for (int step = 1; step <= ResidentNoise.Kept; step++)
        {
            (await noise.WindowAsync(step, 1, window, ScalarType.Float32, CPU)).Dispose();
        }
        using Tensor again = await noise.WindowAsync(0, 1, window, ScalarType.Float32, CPU);
        Assert.Equal(ResidentNoise.Kept + 2, noise.Draws);
        Assert.True(Bits.Same(first, again));
    }
}
