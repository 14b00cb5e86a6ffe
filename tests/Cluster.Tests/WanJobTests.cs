using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Tiny;
using Loom.Models.Weights;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>
/// Wan jobs through real silo processes on a random-weight model from <c>loom models make-tiny</c>: prompt in, frames
/// out, with the same bits as the in-process <see cref="WanPipeline"/> for the same seed and settings; the prompt's
/// embedding encoded once per silo.
/// </summary>
public sealed class WanJobTests
{
    private const string Prompt = "a red ball rolls across a wooden table";

    /// <summary>A short Wan job on the tiny model: 9 frames (3 latent) of 32x32, 4 steps, P&amp;P at steps 1-2, CFG 5.</summary>
    internal static JobSpec Short(string model, long seed, int frames = 9, int window = 9, string kind = WanKind.T2V)
    {
        WanDefaults defaults = WanDefaults.For(kind);
        return new JobSpec(
            Model: model, Frames: frames, Height: 32, Width: 32, Steps: 4, Shift: defaults.Shift, Guidance: defaults.Guidance[0], Plan: "1-2:1", Tau: 0.0,
            WindowLength: window, WindowOverlap: 1, Seed: seed, Prompt: Prompt, NegativePrompt: defaults.NegativePrompt,
            GuidanceLowNoise: defaults.Guidance.Count > 1 ? defaults.Guidance[1] : null, Family: JobSpec.WanFamily, Wire: WirePrecision.Float32);
    }

    internal static async Task<WanRenderResult> InProcessAsync(string folder, JobSpec spec, byte[]? image = null)
    {
        using var cache = new TextEmbeddingCache(1 << 24);
        using WanPipeline pipeline = WanPipeline.Load(folder, cache);
        IReadOnlyList<double> guidance = spec.GuidanceLowNoise is double low ? [spec.Guidance, low] : [spec.Guidance];
        return await pipeline.RenderAsync(new WanRenderRequest(
            spec.Prompt, spec.Width, spec.Height, spec.Frames, spec.Seed, spec.NegativePrompt, image, spec.Steps, spec.Shift, guidance, spec.Plan, spec.Tau,
            spec.WindowLength, spec.WindowOverlap, spec.Join.ToSampler()));
    }

    internal static string ModelsWith(string name, string kind)
    {
        string models = Directory.CreateTempSubdirectory("loom-wan-models-").FullName;
        WanTinyModel.Write(Path.Combine(models, name), kind, seed: 1);
        return models;
    }

    [Fact]
    public async Task A_text_to_video_job_gives_the_in_process_bits_and_the_second_job_finds_its_prompts_in_the_cache()
    {
        string models = ModelsWith("wan-t2v", WanKind.T2V);
        try
        {
            await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 2, new Dictionary<string, string> { ["ModelDirectory"] = models });
            JobSpec spec = Short("wan-t2v", seed: 7);
            await cluster.SubmitAsync("wan-a", spec);
            JobStatus first = await cluster.WaitFinalAsync("wan-a", TimeSpan.FromMinutes(3));
            Assert.True(first.Phase == JobPhase.Completed, $"{first.Phase}: {first.Error}\n{cluster.Silos[0].Log}");

            WanRenderResult reference = await InProcessAsync(Path.Combine(models, "wan-t2v"), spec);
            Assert.Equal(reference.LatentSha256, first.LatentSha256);
            var (tensors, metadata) = SafeTensors.Load(first.OutputPath!);
            using (Tensor video = tensors["video"])
            using (Tensor latent = tensors["latent"])
            {
                Assert.Equal(new long[] { 9, 32, 32, 3 }, video.shape);
                Assert.Equal(reference.Rgb, video.bytes.ToArray());
                Assert.Equal(new long[] { 16, 3, 4, 4 }, latent.shape);
            }
            Assert.Contains("\"Prompt\":\"a red ball rolls across a wooden table\"", metadata["loom.spec"], StringComparison.Ordinal);
            Assert.Equal(reference.Evaluations, first.Evaluations); // 6 predictions, each a CFG forward of 2
            Assert.Contains("prompt from the text encoder", cluster.Silos[0].Log, StringComparison.Ordinal);

            await cluster.SubmitAsync("wan-b", spec with { Seed = 8 });
            JobStatus second = await cluster.WaitFinalAsync("wan-b", TimeSpan.FromMinutes(3));
            Assert.Equal(JobPhase.Completed, second.Phase);
            Assert.NotEqual(first.LatentSha256, second.LatentSha256);
            Assert.Contains("job wan-b: prompt from the cache", cluster.Silos[0].Log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task An_image_to_video_two_expert_job_over_two_windows_and_two_silos_gives_the_in_process_bits()
    {
        string models = ModelsWith("wan-i2v-a14b", WanKind.I2VA14B);
        try
        {
            await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 2, shardsPerSilo: 1, new Dictionary<string, string> { ["ModelDirectory"] = models });
            byte[] image = new byte[32 * 32 * 3];
            new Random(5).NextBytes(image);
            // 17 frames (5 latent) in windows of 9 (3 latent) sharing 1: two co-denoised windows. Shift 5 over 4 steps gives
            // timesteps 999, 937, 833, 625: the high-noise expert (guidance 4) serves steps 0-1, the low-noise one (3) steps 2-3.
            JobSpec spec = Short("wan-i2v-a14b", seed: 3, frames: 17, kind: WanKind.I2VA14B) with { Guidance = 4, GuidanceLowNoise = 3, Image = image };
            await cluster.SubmitAsync("wan-i2v", spec);
            JobStatus job = await cluster.WaitFinalAsync("wan-i2v", TimeSpan.FromMinutes(4));
            Assert.True(job.Phase == JobPhase.Completed, $"{job.Phase}: {job.Error}\n{string.Join("\n", cluster.Silos.Select(s => s.Log))}");

            WanRenderResult reference = await InProcessAsync(Path.Combine(models, "wan-i2v-a14b"), spec, image);
            Assert.Equal(2, reference.Windows);
            Assert.Equal(["high_noise", "high_noise", "low_noise", "low_noise"], reference.Experts);
            Assert.Equal(reference.LatentSha256, job.LatentSha256);
            var (tensors, _) = SafeTensors.Load(job.OutputPath!);
            using Tensor video = tensors["video"];
            tensors["latent"].Dispose();
            Assert.Equal(reference.Rgb, video.bytes.ToArray());
            Assert.Equal(2, job.Windows?.Count);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task A_two_expert_job_over_shards_with_room_for_one_expert_each_loads_each_expert_where_it_stays_and_the_next_job_loads_none()
    {
        const string name = "wan-t2v-a14b";
        string models = ModelsWith(name, WanKind.T2VA14B);
        try
        {
            long expert = new ModelCatalog(Options.Create(new LoomCatalogOptions { ModelDirectory = models }), NullLogger<ModelCatalog>.Instance).Models[name].Memory.Parts[0].Bytes;
            await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 2, new Dictionary<string, string>
            {
                ["ModelDirectory"] = models,
                ["ShardModelBytes"] = (expert * 3 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), // one expert, not two
                ["PreloadModels"] = "false",
            });
            // 17 frames in windows of 9 sharing 1: two windows a step. Shift 5 over 4 steps gives timesteps 999, 937, 833,
            // 625: the high-noise expert serves steps 0-1, the low-noise one steps 2-3 (boundary 875).
            JobSpec spec = Short(name, seed: 11, frames: 17, kind: WanKind.T2VA14B) with { Shift = 5, Guidance = 4, GuidanceLowNoise = 3 };
            ShardInfo[] first = await RunAndReadShardsAsync(cluster, "experts-a", spec, models);
            // Each shard ends holding one expert, one each: a copy of the high-noise expert, if one was made while both had
            // room, was freed for the low-noise one, and the low-noise windows then went where it was.
            Assert.All(first, s => Assert.Single(s.Experts!));
            Assert.Equal([$"{name}/high_noise", $"{name}/low_noise"], first.SelectMany(s => s.Experts!).Order(StringComparer.Ordinal));
            long loads = first.Sum(s => s.Loads), evictions = first.Sum(s => s.Evictions);
            Assert.InRange(loads, 2, 3);
            Assert.Equal(loads - 2, evictions);

            // Warm: the next job's high-noise windows go to the high-noise shard and its low-noise ones to the other, no load.
            ShardInfo[] second = await RunAndReadShardsAsync(cluster, "experts-b", spec with { Seed = 12 }, models);
            Assert.Equal((loads, evictions), (second.Sum(s => s.Loads), second.Sum(s => s.Evictions)));
            Assert.Equal(first.Select(s => s.Experts![0]), second.Select(s => s.Experts![0]));
            Assert.All(second, s => Assert.True(s.Completed > first.Single(f => f.ShardId == s.ShardId).Completed, $"{s.ShardId} served no window of the second job"));
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task A_chained_image_to_video_job_continues_each_window_from_the_last_frames_of_the_one_before_with_the_in_process_bits_each_time()
    {
        string models = ModelsWith("wan-i2v", WanKind.I2V);
        try
        {
            await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 2, new Dictionary<string, string> { ["ModelDirectory"] = models });
            byte[] image = new byte[32 * 32 * 3];
            new Random(9).NextBytes(image);
            // 21 frames (6 latent) in windows of 13 (4 latent) sharing 2: window [2, 6) continues [0, 4) from its last 5 frames.
            JobSpec spec = Short("wan-i2v", seed: 4, frames: 21, window: 13, kind: WanKind.I2V) with { Image = image, WindowOverlap = 2, Join = WindowJoin.Chained };
            WanRenderResult reference = await InProcessAsync(Path.Combine(models, "wan-i2v"), spec, image);
            Assert.Equal(2, reference.Windows);
            foreach (string id in new[] { "chain-a", "chain-b" })
            {
                await cluster.SubmitAsync(id, spec);
                JobStatus job = await cluster.WaitFinalAsync(id, TimeSpan.FromMinutes(4));
                Assert.True(job.Phase == JobPhase.Completed, $"{job.Phase}: {job.Error}\n{cluster.Silos[0].Log}");
                Assert.Equal(reference.LatentSha256, job.LatentSha256);
                Assert.Equal(reference.Evaluations, job.Evaluations);
                var (tensors, _) = SafeTensors.Load(job.OutputPath!);
                using Tensor video = tensors["video"];
                tensors["latent"].Dispose();
                Assert.Equal(new long[] { 21, 32, 32, 3 }, video.shape);
                Assert.Equal(reference.Rgb, video.bytes.ToArray());
            }
            WanRenderResult coDenoised = await InProcessAsync(Path.Combine(models, "wan-i2v"), spec with { Join = WindowJoin.CoDenoise }, image);
            Assert.NotEqual(coDenoised.LatentSha256, reference.LatentSha256);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="spec"/> (same bits as in process), then the shards as reported after it ended.</summary>
    private static async Task<ShardInfo[]> RunAndReadShardsAsync(LoomTestCluster cluster, string jobId, JobSpec spec, string models)
    {
        await cluster.SubmitAsync(jobId, spec);
        JobStatus job = await cluster.WaitFinalAsync(jobId, TimeSpan.FromMinutes(4));
        Assert.True(job.Phase == JobPhase.Completed, $"{job.Phase}: {job.Error}\n{cluster.Silos[0].Log}");
        WanRenderResult reference = await InProcessAsync(Path.Combine(models, spec.Model), spec);
        Assert.Equal(reference.LatentSha256, job.LatentSha256);
        DateTimeOffset ended = DateTimeOffset.UtcNow;
        while (true)
        {
            ShardInfo[] shards = await cluster.WaitForShardsAsync(cluster.ShardsPerSilo * cluster.Silos.Count);
            if (shards.All(s => s.ReportedAt > ended))
            {
                return shards;
            }
            await Task.Delay(200);
        }
    }
}
