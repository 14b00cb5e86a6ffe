using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>What a Wan job takes by default and what it is refused for, each refusal naming its field.</summary>
public sealed class WanSpecTests
{
    private static readonly ModelShape T2V = new("wan-t2v", 0, 0, 16, int.MaxValue, "", true, JobSpec.WanFamily, WanKind.T2V, 1, false);
    private static readonly ModelShape I2VA14B = new("wan-i2v", 0, 0, 16, int.MaxValue, "", true, JobSpec.WanFamily, WanKind.I2VA14B, 2, true);
    private static readonly ModelShape Physics = new("physics", 32, 32, 8, 16, "", false);

    private static readonly Dictionary<string, ModelShape> Models = new() { [T2V.Name] = T2V, [I2VA14B.Name] = I2VA14B, [Physics.Name] = Physics };

    private static JobSpec Wan(ModelShape model) => JobDefaults.For(model) with { Prompt = "a red ball", Frames = 9, WindowLength = 9, Height = 32, Width = 32 };

    private static string Refused(JobSpec spec) => Assert.Throws<InvalidJobSpecException>(() => JobSpecValidator.Validate(spec, new JobLimits(), Models)).Field;

    [Fact]
    public void A_wan_model_defaults_to_its_familys_setting_and_the_physics_model_to_its_own()
    {
        JobSpec t2v = JobDefaults.For(T2V);
        Assert.Equal((81, 832, 480, 50, 5.0, 5.0, "2-5:3,6-13:1", 0.2), (t2v.Frames, t2v.Width, t2v.Height, t2v.Steps, t2v.Shift, t2v.Guidance, t2v.Plan, t2v.Tau));
        Assert.Null(t2v.GuidanceLowNoise);
        Assert.StartsWith("色调艳丽", t2v.NegativePrompt, StringComparison.Ordinal);
        Assert.Equal((81, 1, JobSpec.WanFamily), (t2v.WindowLength, t2v.WindowOverlap, t2v.Family));

        JobSpec i2v = JobDefaults.For(I2VA14B);
        Assert.Equal((40, 3.5, 3.5, "1-5:3,6-13:1", 0.0), (i2v.Steps, i2v.Guidance, i2v.GuidanceLowNoise, i2v.Plan, i2v.Tau));

        JobSpec physics = JobDefaults.For(Physics);
        Assert.Equal(new JobSpec() with { Model = "physics" }, physics);
    }

    [Fact]
    public void A_valid_wan_spec_passes_and_samples_in_latent_frames()
    {
        JobSpec spec = Wan(T2V) with { Frames = 17, WindowLength = 9, WindowOverlap = 1 };
        JobSpecValidator.Validate(spec, new JobLimits(), Models);
        Assert.Equal(5, spec.LatentFrames);
        Assert.Equal([0, 2], JobSpecValidator.Windows(spec).Windows.Select(w => w.Start));
        JobSpecValidator.Validate(Wan(I2VA14B) with { Image = new byte[32 * 32 * 3] }, new JobLimits(), Models);
    }

    [Fact]
    public void Each_wan_mistake_is_refused_naming_its_field()
    {
        Assert.Equal("frames", Refused(Wan(T2V) with { Frames = 8 }));
        Assert.Equal("window_length", Refused(Wan(T2V) with { WindowLength = 8 }));
        Assert.Equal("window_overlap", Refused(Wan(T2V) with { Frames = 17, WindowLength = 9, WindowOverlap = 3 }));
        Assert.Equal("width", Refused(Wan(T2V) with { Width = 40 }));
        Assert.Equal("height", Refused(Wan(T2V) with { Height = 8 }));
        Assert.Equal("prompt", Refused(Wan(T2V) with { Prompt = " " }));
        Assert.Equal("image", Refused(Wan(T2V) with { Image = new byte[32 * 32 * 3] }));
        Assert.Equal("image", Refused(Wan(I2VA14B)));
        Assert.Equal("image", Refused(Wan(I2VA14B) with { Image = new byte[10] }));
        Assert.Equal("guidance_low_noise", Refused(Wan(T2V) with { GuidanceLowNoise = 3 }));
        Assert.Equal("guidance_low_noise", Refused(Wan(I2VA14B) with { Image = new byte[32 * 32 * 3], GuidanceLowNoise = -1 }));
        Assert.Equal("join", Refused(Wan(T2V) with { Join = WindowJoin.Chained }));
        Assert.Equal("join", Refused(Wan(I2VA14B) with { Join = WindowJoin.Independent }));
        Assert.Equal("conditioning", Refused(Wan(T2V) with { Conditioning = new GivenFrames(1, new byte[32 * 32 * 3]) }));
        Assert.Equal("model", Refused(Wan(T2V) with { Family = "" }));
        Assert.Equal("negative_prompt", Refused(new JobSpec() with { NegativePrompt = "blurry" }));
        Assert.Equal("image", Refused(new JobSpec() with { Image = new byte[32 * 32 * 3] }));
    }

    [Fact]
    public void A_model_whose_largest_expert_fits_no_shard_is_refused_naming_it_and_a_shard_with_room_for_one_expert_is_enough()
    {
        var model = new ShardModelInfo("wan-14b", "wan", "/models/wan-14b", "", "", 0, new LatentLayout(16, [1, 2, 2], [4, 8, 8], null, null, null), [],
            new ModelMemory(ScalarType.BFloat16, [new ModelPart("high_noise", 28L << 30), new ModelPart("low_noise", 28L << 30)]));
        ShardInfo Shard(long total, long budget = -1) => new("s", "silo", "cuda:0", [], 0, 0, 0, 0, 0, DateTimeOffset.UtcNow, DeviceName: "GPU",
            MemoryFreeBytes: total, MemoryTotalBytes: total, ModelBudgetBytes: budget);

        string? problem = ModelHosting.Problem(model, [Shard(24L << 30), Shard(24L << 30)]);
        Assert.NotNull(problem);
        Assert.Contains("model 'wan-14b': its largest expert (high_noise) takes 30064771072 bytes", problem, StringComparison.Ordinal);
        // The experts load one by one: a 48 GB device holds one of the two 28 GB experts, and a pool of such serves both.
        Assert.Equal(28L << 30, ModelHosting.BytesPerShard(model));
        Assert.Null(ModelHosting.Problem(model, [Shard(24L << 30), Shard(48L << 30)]));
        // A shard's configured budget for weights counts, not its device's memory.
        Assert.NotNull(ModelHosting.Problem(model, [Shard(141L << 30, budget: 20L << 30)]));
        Assert.Null(ModelHosting.Problem(model, [Shard(-1)]));
        Assert.Null(ModelHosting.Problem(model, []));
        var whole = model with { Memory = new ModelMemory(ScalarType.BFloat16, [new ModelPart("transformer", 28L << 30)]) };
        Assert.Null(ModelHosting.Problem(whole, [Shard(48L << 30)]));
        Assert.NotNull(ModelHosting.Problem(whole, [Shard(24L << 30)]));
    }
}
