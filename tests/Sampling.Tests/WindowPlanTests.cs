using System.Text.Json;
using Loom.Sampling.Noise;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

public sealed class WindowPlanTests
{
    public static TheoryData<int, int, int> Grid()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int frames in new[] { 1, 5, 8, 9, 21, 40, 81 })
        {
            foreach (int length in new[] { 1, 4, 8, 16 })
            {
                foreach (int overlap in new[] { 0, 1, 3, 7, 15 }.Where(o => o < length))
                {
                    data.Add(frames, length, overlap);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Windows_cover_every_frame_overlap_enough_and_end_at_the_last_frame(int frames, int length, int overlap)
    {
        var plan = new WindowPlan(frames, length, overlap);
        var windows = plan.Windows;
        Assert.Equal(0, windows[0].Start);
        Assert.Equal(frames, windows[^1].End);
        Assert.All(windows, w => Assert.Equal(Math.Min(frames, length), w.Length));
        for (int k = 1; k < windows.Count; k++)
        {
            Assert.True(windows[k].Start > windows[k - 1].Start, "windows must advance");
            Assert.True(windows[k - 1].End - windows[k].Start >= overlap, $"windows {k - 1} and {k} overlap by less than {overlap}");
        }
        Assert.All(Enumerable.Range(0, frames), f => Assert.Contains(windows, w => w.Contains(f)));
        if (frames <= length)
        {
            Assert.Single(windows);
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Weights_sum_to_one_at_every_frame_and_stay_inside_their_window(int frames, int length, int overlap)
    {
        var plan = new WindowPlan(frames, length, overlap);
        foreach (WindowBlend blend in Enum.GetValues<WindowBlend>())
        {
            double[][] weights = plan.Weights(blend);
            var total = new double[frames];
            for (int w = 0; w < weights.Length; w++)
            {
                Assert.Equal(plan.Windows[w].Length, weights[w].Length);
                for (int j = 0; j < weights[w].Length; j++)
                {
                    Assert.InRange(weights[w][j], 0.0, 1.0);
                    total[plan.Windows[w].Start + j] += weights[w][j];
                }
            }
            Assert.All(total, t => Assert.Equal(1.0, t, 12));
        }
    }

    [Fact]
    public void Linear_ramp_gives_no_weight_to_a_window_at_its_outermost_shared_frame()
    {
        var plan = new WindowPlan(13, 8, 3); // [0,8) [5,13)
        double[][] w = plan.Weights(WindowBlend.Linear);
        Assert.Equal(new[] { 1.0, 0.5, 0.0 }, w[0][5..8]);
        Assert.Equal(new[] { 0.0, 0.5, 1.0 }, w[1][0..3]);
        Assert.All(w[0][..5], x => Assert.Equal(1.0, x));
    }

    [Theory]
    [InlineData(0, 8, 2, "frames")]
    [InlineData(10, 0, 0, "length")]
    [InlineData(10, 8, -1, "overlap")]
    [InlineData(10, 8, 8, "overlap")]
    public void Bad_plans_name_the_field(int frames, int length, int overlap, string field)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WindowPlan(frames, length, overlap));
        Assert.Equal(field, error.ParamName);
    }

    [Fact]
    public void A_plan_prints_and_survives_json()
    {
        var plan = new WindowPlan(21, 8, 2);
        Assert.Equal("21 frames, window 8, overlap 2: [0,8) [6,14) [12,20) [13,21)", plan.ToString());
        string json = JsonSerializer.Serialize(plan);
        var back = JsonSerializer.Deserialize<WindowPlan>(json)!;
        Assert.Equal(plan.Windows, back.Windows);
        Assert.Contains("\"Frames\":21", json);
    }

    [Fact]
    public void Fusing_one_full_window_with_weight_one_returns_its_input_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        var plan = new WindowPlan(6, 8, 2);
        Tensor v = randn([2, 3, 6, 2, 2]) * -1.0;
        Tensor fused = WindowFusion.Fuse(plan, plan.Weights(WindowBlend.Pyramid), [v], v);
        Assert.True(Bits.Same(v, fused));
    }

    [Fact]
    public void Fusing_windows_cut_from_one_video_gives_that_video_back()
    {
        using var scope = NewDisposeScope();
        var plan = new WindowPlan(21, 8, 3);
        Tensor video = randn(1, 2, 21, 3);
        Tensor?[] parts = plan.Windows.Select(w => (Tensor?)video.narrow(2, w.Start, w.Length)).ToArray();
        foreach (WindowBlend blend in Enum.GetValues<WindowBlend>())
        {
            Tensor fused = WindowFusion.Fuse(plan, plan.Weights(blend), parts, video);
            Assert.True(allclose(video, fused, rtol: 1e-6, atol: 1e-6), blend.ToString());
        }
    }

    [Fact]
    public void A_window_of_noise_is_the_whole_videos_noise_narrowed()
    {
        using var scope = NewDisposeScope();
        Tensor whole = DeterministicNoise.Batch([3, 4], 5, 2, [2, 21, 3]);
        Tensor window = DeterministicNoise.Batch([3, 4], 5, 2, [2, 8, 3], slice: new NoiseSlice(2, 13, 21));
        Assert.True(Bits.Same(whole.narrow(2, 13, 8), window));
    }
}
