using Loom.Models.Wan.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

public sealed class WanVaeParallelDecodeTests
{
    [Fact]
    public void ExactWarmUpFollowsTheArchitecture()
    {
        using WanVae tiny = WanVaeTests.Tiny();
        using WanVae released = new(WanVaeConfig.Official with { Dim = 2 });
        using WanVae oneTemporal = new(WanVaeConfig.Official with { Dim = 2, TemporalDownsample = [false, false, true] });

        // 24 frames of look-back at the latent rate, 14 at 2x, 26 at 4x: first exact frame 4s + 147, kept from 4a - 3.
        Assert.Equal(38, tiny.ExactWarmUp);
        Assert.Equal(38, released.ExactWarmUp);
        Assert.Equal(43, oneTemporal.ExactWarmUp);
    }

    [Fact]
    public void ChunksWithTheExactWarmUpStitchToTheSequentialDecode()
    {
        using WanVae vae = WanVaeTests.Tiny();
        using Tensor latent = randn([1, 16, 42, 2, 2], generator: new Generator(7));
        using Tensor sequential = vae.DecodeUnclamped(latent);

        WanVaeDecodePlan plan = vae.PlanDecode(42, 20);
        var pieces = plan.Chunks.Select(c => vae.DecodeChunk(c.InputOf(latent), c, clamp: false)).ToList();
        using Tensor stitched = plan.Stitch(pieces);

        Assert.Equal([(0, 0, 20), (0, 20, 40), (2, 40, 42)], plan.Chunks.Select(c => (c.WarmUpStart, c.LatentStart, c.LatentEnd)));
        Assert.Equal(sequential.shape, stitched.shape);
        Assert.True((stitched - sequential).abs().max().item<float>() <= 1e-5);
        pieces.ForEach(p => p.Dispose());
    }

    [Fact]
    public void OneFrameLessWarmUpIsNotExact()
    {
        using WanVae tiny = WanVaeTests.Tiny();
        using WanVae vae = WanVaeWeights.FromWeights(tiny.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), null, "tiny", ScalarType.Float64);
        int r = vae.ExactWarmUp, frames = r + 3;
        using Tensor latent = randn([1, 16, frames, 2, 2], ScalarType.Float64, generator: new Generator(11));
        using Tensor sequential = vae.DecodeUnclamped(latent);

        // With R the kept frames are computed from bit-identical inputs; with R - 1 the zero history reaches the first
        // two frames. The influence is tiny at the edge of the receptive field (~1e-14 here, below float32 rounding;
        // see the wan-vae benchmark for how it grows with fewer frames), so float64 shows it.
        Assert.Equal(0, MaxDifference(vae, latent, sequential, r));
        double shorter = MaxDifference(vae, latent, sequential, r - 1);
        Assert.True(shorter > 0, $"R - 1 = {r - 1} frames of warm-up gave the sequential frames exactly");
    }

    [Fact]
    public void TheDerivedWarmUpIsExactForAnotherArchitecture()
    {
        using WanVae other = WanVaeWeights.Random(WanVaeConfig.Official with { Dim = 2, TemporalDownsample = [false, false, true] }, seed: 5);
        int r = other.ExactWarmUp, frames = r + 3;
        using Tensor latent = randn([1, 16, frames, 2, 2], generator: new Generator(13));
        using Tensor sequential = other.DecodeUnclamped(latent);

        Assert.Equal(0, MaxDifference(other, latent, sequential, r));
    }

    [Fact]
    public void PlanTilesTheVideoAndStitchChecksThePieces()
    {
        WanVaeDecodePlan plan = WanVaeDecodePlan.Create(21, 8, 38, 4);

        Assert.Equal(81, plan.VideoFrames);
        Assert.Equal([(0, 1 * 0 + 29), (29, 61), (61, 81)], plan.Chunks.Select(c => (c.FrameStart, c.FrameEnd)));
        Assert.Equal(8 + 16 + 21, plan.DecodedLatents);
        using Tensor piece = zeros([1, 3, 29, 8, 8]);
        Assert.Throws<ArgumentException>(() => plan.Stitch([piece, piece, piece]));
        Assert.Throws<ArgumentException>(() => WanVaeDecodePlan.Create(0, 8, 38, 4));
    }

    [Fact]
    public void ATileCoveringTheFrameDecodesExactlyAsUntiled()
    {
        using WanVae vae = WanVaeTests.Tiny();
        using Tensor latent = randn([1, 16, 3, 5, 6], generator: new Generator(3));
        using Tensor untiled = vae.DecodeUnclamped(latent);
        using Tensor whole = vae.DecodeUnclamped(latent, new WanVaeTiling(Tile: 6, Overlap: 2));
        using Tensor tiled = vae.DecodeUnclamped(latent, new WanVaeTiling(Tile: 4, Overlap: 2));

        Assert.True(WanVaeTests.Same(untiled, whole));
        Assert.Equal(untiled.shape, tiled.shape);
        Assert.False(WanVaeTests.Same(untiled, tiled));
    }

    [Fact]
    public void TileWeightsSumToOneEverywhere()
    {
        var tiling = new WanVaeTiling(Tile: 5, Overlap: 2);
        var spans = tiling.Spans(13);
        var sum = new double[13 * 8];
        for (int i = 0; i < spans.Count; i++)
        {
            float[] ramp = WanVaeTiling.Ramp(spans, i, 8);
            for (int p = 0; p < ramp.Length; p++)
            {
                sum[spans[i].Start * 8 + p] += ramp[p];
            }
        }

        Assert.True(spans.Count > 2 && spans[^1].Start + spans[^1].Length == 13);
        Assert.All(sum, s => Assert.Equal(1.0, s, 1e-6));
        Assert.Throws<ArgumentException>(() => new WanVaeTiling(Tile: 4, Overlap: 4).Spans(10));
    }

    private static double MaxDifference(WanVae model, Tensor latent, Tensor sequential, int warmUp)
    {
        int frames = (int)latent.shape[2];
        var plan = WanVaeDecodePlan.Create(frames, frames - 2, warmUp, model.Config.TemporalStride);
        WanVaeDecodeChunk last = plan.Chunks[^1];
        using Tensor piece = model.DecodeChunk(last.InputOf(latent), last, clamp: false);
        using Tensor expected = sequential.narrow(2, last.FrameStart, last.Frames);
        return (piece - expected).abs().max().to(ScalarType.Float64).item<double>();
    }
}
