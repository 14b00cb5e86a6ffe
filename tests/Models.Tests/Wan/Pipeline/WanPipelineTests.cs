using System.Security.Cryptography;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Tiny;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan.Pipeline;

/// <summary>The in-process Wan path, prompt to frames, on random-weight models from <c>loom models make-tiny</c>.</summary>
public sealed class WanPipelineTests(TinyWanModels models) : IClassFixture<TinyWanModels>
{
    private static WanRenderRequest Short(long seed) => new("a red ball rolls across a wooden table", 32, 32, 9, seed, Steps: 4, Plan: "1-2:1", Tau: 0.0);

    [Theory]
    [InlineData("t2v")]
    [InlineData("i2v")]
    [InlineData("t2v-a14b")]
    [InlineData("i2v-a14b")]
    public void MakeTinyWritesAFolderThatIsRecognisedVerifiedAndReproducible(string kind)
    {
        WanModelFolder folder = WanModelFolder.Inspect(models.Folder(kind));
        Assert.True(folder.IsModel, string.Join(" ", folder.Problems));
        Assert.Equal(kind, folder.Kind);
        Assert.Equal(WanLayout.Official, folder.Layout);
        Assert.Empty(WanModelCheck.Run(folder));

        string again = Path.Combine(models.Root, "again-" + kind);
        WanTinyModel.Write(again, kind, seed: 1);
        string other = Path.Combine(models.Root, "other-" + kind);
        WanTinyModel.Write(other, kind, seed: 2);
        Assert.Equal(Hashes(models.Folder(kind)), Hashes(again));
        Assert.NotEqual(Hashes(models.Folder(kind)), Hashes(other));
    }

    [Fact]
    public async Task TextToVideoGivesFramesOfTheRequestedShapeAndTheSameBitsForTheSameSeed()
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.T2V, cache);
        WanRenderResult first = await pipeline.RenderAsync(Short(7));
        WanRenderResult again = await pipeline.RenderAsync(Short(7));
        WanRenderResult other = await pipeline.RenderAsync(Short(8));

        Assert.Equal((9, 32, 32), (first.Frames, first.Height, first.Width));
        Assert.Equal(9 * 32 * 32 * 3, first.Rgb.Length);
        Assert.Equal(first.Rgb, again.Rgb);
        Assert.Equal(first.LatentSha256, again.LatentSha256);
        Assert.NotEqual(first.LatentSha256, other.LatentSha256);
        Assert.NotEqual(first.Rgb, other.Rgb);
        // 4 steps, step 1 and 2 refine once: 6 predictions, each one CFG forward of 2.
        Assert.Equal(12, first.Evaluations);
        Assert.All(first.Experts, e => Assert.Equal("transformer", e));
    }

    [Fact]
    public async Task ThePromptEmbeddingsComeFromTheCacheOnTheSecondRun()
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using (WanPipeline pipeline = WanPipeline.Load(models.T2V, cache))
        {
            WanRenderResult first = await pipeline.RenderAsync(Short(3));
            Assert.False(first.PromptFromCache);
            Assert.False(first.NegativeFromCache);
            Assert.Equal(2, pipeline.Text.PromptsEncoded);
        }
        TextEmbeddingCacheStats before = cache.Stats;
        using (WanPipeline reloaded = WanPipeline.Load(models.T2V, cache))
        {
            WanRenderResult second = await reloaded.RenderAsync(Short(3) with { Prompt = "  a red ball rolls across a wooden table " });
            Assert.True(second.PromptFromCache);
            Assert.True(second.NegativeFromCache);
            Assert.Equal(0, reloaded.Text.PromptsEncoded);
        }
        Assert.Equal(before.Hits + 2, cache.Stats.Hits);
        Assert.Equal(before.Misses, cache.Stats.Misses);
    }

    [Theory]
    [InlineData("i2v")]
    [InlineData("i2v-a14b")]
    public async Task ImageToVideoEncodesTheImageIntoTheConditionAndDependsOnIt(string kind)
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.Folder(kind), cache);
        byte[] image = Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 7 % 251)).ToArray();
        byte[] dark = new byte[image.Length];
        WanRenderRequest request = Short(5) with { Image = image };
        WanRenderResult first = await pipeline.RenderAsync(request);
        WanRenderResult again = await pipeline.RenderAsync(request);
        WanRenderResult otherImage = await pipeline.RenderAsync(request with { Image = dark });

        Assert.Equal(9 * 32 * 32 * 3, first.Rgb.Length);
        Assert.True(first.ConditionSeconds > 0);
        Assert.Equal(first.LatentSha256, again.LatentSha256);
        Assert.NotEqual(first.LatentSha256, otherImage.LatentSha256);
        ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => pipeline.RenderAsync(Short(5)));
        Assert.Equal("image", refused.ParamName);
    }

    [Fact]
    public void TheConditionMaskMarksTheFirstFramesFourSlots()
    {
        using Tensor mask = WanImageCondition.Mask(9, 2, 3);
        Assert.Equal([4L, 3, 2, 3], mask.shape);
        float[] perFrame = mask.mean([0, 2, 3]).data<float>().ToArray();
        Assert.Equal([1f, 0f, 0f], perFrame);
    }

    [Fact]
    public void AContinuationConditionIsThePreviousWindowsLastDecodedFramesEncodedAgainWithTheMaskOnThem()
    {
        WanModelFolder folder = WanModelFolder.Inspect(models.Folder(WanKind.I2V));
        using var vae = Loom.Models.Wan.Vae.WanVaeWeights.Load(folder.Component("vae")!.Path);
        using var generator = new TorchSharp.torch.Generator(3, new Device(TorchSharp.DeviceType.CPU));
        using Tensor previous = randn([1, 16, 4, 4, 4], generator: generator); // a 13-frame window
        // Two shared latent frames: the previous window's last 5 frames open the next 13-frame window.
        using Tensor y = WanImageCondition.Continue(vae, previous, overlap: 2, frames: 13);
        Assert.Equal([1L, 20, 4, 4, 4], y.shape);
        Assert.Equal([1f, 1f, 0f, 0f], y.narrow(1, 0, 4).mean([0, 1, 3, 4]).data<float>().ToArray());

        using Tensor decoded = Loom.Models.Wan.Vae.WanVae.ToUInt8(vae.Decode(previous)); // [1, 13, 32, 32, 3]
        byte[] Frames(int start) => decoded[0].narrow(0, start, 5).contiguous().bytes.ToArray();
        using Tensor last = WanImageCondition.Build(vae, Frames(8), 32, 32, 13, given: 5);
        using Tensor first = WanImageCondition.Build(vae, Frames(0), 32, 32, 13, given: 5);
        Assert.Equal(last.bytes.ToArray(), y.bytes.ToArray());
        Assert.NotEqual(first.bytes.ToArray(), y.bytes.ToArray());
        Assert.Equal(1, WanImageCondition.ContinuedFrames(1)); // one shared latent frame: the last frame, as a user continues a clip
        Assert.Equal("window_overlap", Assert.Throws<ArgumentException>(() => WanImageCondition.Continue(vae, previous, overlap: 4, frames: 9)).ParamName);
    }

    [Fact]
    public async Task AChainedImageToVideoRenderContinuesEachWindowFromTheOneBeforeTheSameWayEachTime()
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.Folder(WanKind.I2V), cache);
        byte[] image = Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 5 % 253)).ToArray();
        // 21 frames (6 latent) in windows of 13 (4 latent) sharing 2: windows [0, 4) and [2, 6).
        WanRenderRequest request = Short(4) with { Image = image, Frames = 21, WindowFrames = 13, WindowOverlap = 2, Join = Loom.Sampling.Windows.WindowJoin.Chained };
        WanRenderResult chained = await pipeline.RenderAsync(request);
        WanRenderResult again = await pipeline.RenderAsync(request);
        WanRenderResult coDenoised = await pipeline.RenderAsync(request with { Join = Loom.Sampling.Windows.WindowJoin.CoDenoise });

        Assert.Equal((2, 21 * 32 * 32 * 3), (chained.Windows, chained.Rgb.Length));
        Assert.Equal(chained.LatentSha256, again.LatentSha256);
        Assert.Equal(chained.Rgb, again.Rgb);
        Assert.NotEqual(coDenoised.LatentSha256, chained.LatentSha256);
        Assert.Equal(2 * 12, chained.Evaluations); // each window its own 4 steps, 2 refined, CFG 2
        ArgumentException refused = await Assert.ThrowsAsync<ArgumentException>(() => pipeline.RenderAsync(request with { Join = Loom.Sampling.Windows.WindowJoin.Independent }));
        Assert.Equal("join", refused.ParamName);
    }

    [Fact]
    public async Task TwoExpertsSwitchAtTheBoundaryStep()
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.Folder(WanKind.T2VA14B), cache);
        Assert.Equal(0.875, pipeline.Boundary);
        WanRenderRequest request = Short(11) with { Steps = 10, Shift = 3.0, Guidance = [4.0, 1.0] };
        WanRenderResult result = await pipeline.RenderAsync(request);

        var schedule = FlowSchedule.Create(10, 3.0, ScheduleKind.Wan);
        string[] expected = Enumerable.Range(0, 10)
            .Select(i => schedule.Timestep(i) >= 0.875 * FlowSchedule.TrainTimesteps ? "high_noise" : "low_noise").ToArray();
        Assert.Equal(expected, result.Experts);
        Assert.Contains("high_noise", result.Experts);
        Assert.Contains("low_noise", result.Experts);
        // Guidance 4 on the high-noise expert (2 forwards a prediction), 1 on the low-noise one (1 forward).
        int high = result.Experts.Count(e => e == "high_noise");
        int refinedHigh = result.Steps.Where(s => result.Experts[s.Step] == "high_noise").Sum(s => s.Predictions);
        int refinedLow = result.Steps.Where(s => result.Experts[s.Step] == "low_noise").Sum(s => s.Predictions);
        Assert.True(high > 0);
        Assert.Equal(2 * refinedHigh + refinedLow, result.Evaluations);
    }

    [Fact]
    public async Task ALongVideoIsCoDenoisedOverSeveralWindows()
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.T2V, cache);
        WanRenderRequest request = Short(2) with { Frames = 33, WindowFrames = 13, WindowOverlap = 1, Plan = "none" };
        WanRenderResult result = await pipeline.RenderAsync(request);
        Assert.Equal(33, result.Frames);
        Assert.Equal(33 * 32 * 32 * 3, result.Rgb.Length);
        Assert.True(result.Windows >= 3, $"{result.Windows} windows");
        WanRenderResult whole = await pipeline.RenderAsync(request with { WindowFrames = null });
        Assert.Equal(1, whole.Windows);
        Assert.NotEqual(whole.LatentSha256, result.LatentSha256);
        Assert.Equal(result.LatentSha256, (await pipeline.RenderAsync(request)).LatentSha256);
    }

    [Theory]
    [InlineData(16, null, "frames")]
    [InlineData(0, null, "frames")]
    [InlineData(17, 12, "window_frames")]
    public async Task AFrameCountThatIsNot4kPlus1IsRefusedNamingTheField(int frames, int? window, string field)
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(models.T2V, cache);
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => pipeline.RenderAsync(Short(1) with { Frames = frames, WindowFrames = window }));
        Assert.Equal(field, e.ParamName);
        Assert.Contains("4k + 1", e.Message);
    }

    private static Dictionary<string, string> Hashes(string folder)
        => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
}
