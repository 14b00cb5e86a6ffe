using System.Globalization;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Tiny;

namespace Loom.Bench;

/// <summary>
/// The in-process Wan pipeline stage by stage (text, image condition, sampling, decode) on random-weight models written
/// by <see cref="WanTinyModel"/>: the tiny kinds, and a transformer as wide as Wan2.1 1.3B (dim 1536, 12 heads, ffn
/// 8960) with few layers; each with plain Euler and with the family's P&amp;P plan.
/// </summary>
public static class WanJobBenchmark
{
    /// <summary>Runs it: <c>--frames --size --steps --wide-layers --wide-size --kinds t2v,t2v-a14b,i2v-a14b --threads</c>.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int frames = args.Int("frames", 17);
        int size = args.Int("size", 32);
        int steps = args.Int("steps", 16);
        int wideLayers = args.Int("wide-layers", 2);
        int wideSize = args.Int("wide-size", 32);
        int threads = args.Int("threads", 2);
        string[] kinds = args.Text("kinds", "t2v,t2v-a14b,i2v-a14b").Split(',', StringSplitOptions.RemoveEmptyEntries);
        TorchSharp.torch.set_num_threads(threads);
        string root = Path.Combine(Path.GetTempPath(), "loom-wan-job-bench-" + Guid.NewGuid().ToString("N"));
        var table = new BenchTable("wan-job", new Dictionary<string, object>
        {
            ["video"] = $"{frames} frames, {size}x{size} (wide model: {wideSize}x{wideSize}), {steps} steps, seed 1, float32, {threads} torch threads",
            ["load average at start"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown",
            ["models"] = $"make-tiny {string.Join(", ", kinds)} ({Describe(WanTinyShape.Tiny)}); wide: t2v {Describe(WanTinyShape.Wide1_3B(wideLayers))}",
        }, ["model", "plan", "tau", "NFE", "text s (miss)", "text s (hit)", "image s", "sampling s", "ms/forward", "decode s", "total s"]);
        try
        {
            var models = kinds.Select(k => (Name: $"tiny {k}", Kind: k, Shape: WanTinyShape.Tiny, Size: size)).ToList();
            models.Add((Name: $"1.3B-wide {wideLayers} layers", Kind: WanKind.T2V, Shape: WanTinyShape.Wide1_3B(wideLayers), Size: wideSize));
            foreach (var model in models)
            {
                string folder = Path.Combine(root, model.Name.Replace(' ', '-'));
                WanTinyModel.Write(folder, model.Kind, seed: 1, model.Shape);
                using var cache = new TextEmbeddingCache(1 << 28);
                using WanPipeline pipeline = WanPipeline.Load(folder, cache);
                byte[]? image = pipeline.IsImageToVideo ? Enumerable.Range(0, model.Size * model.Size * 3).Select(i => (byte)(i * 7 % 251)).ToArray() : null;
                foreach (string plan in new[] { "none", pipeline.Defaults.Plan })
                {
                    var request = new WanRenderRequest("a red ball rolls across a wooden table", model.Size, model.Size, frames, 1, Image: image, Steps: steps, Plan: plan);
                    // The first render encodes the prompts (cache miss), the second finds them (hit); the second's stages are shown.
                    WanRenderResult miss = await pipeline.RenderAsync(request with { Prompt = request.Prompt + " " + plan });
                    WanRenderResult hit = await pipeline.RenderAsync(request with { Prompt = request.Prompt + " " + plan });
                    double total = hit.TextSeconds + hit.ConditionSeconds + hit.SamplingSeconds + hit.DecodeSeconds;
                    int forwards = hit.Steps.Sum(s => s.Predictions);
                    table.Add(model.Name, plan, plan == "none" ? "-" : pipeline.Defaults.Tau.ToString(CultureInfo.InvariantCulture), hit.Evaluations, miss.TextSeconds, hit.TextSeconds,
                        hit.ConditionSeconds, hit.SamplingSeconds, 1000 * hit.SamplingSeconds / forwards, hit.DecodeSeconds, total);
                }
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
        table.Notes.AddRange(
        [
            "Each model is written by WanTinyModel (seed 1) and loaded once; each row renders twice with the same request and shows the second",
            "run's stages, except \"text s (miss)\": the first run's text stage, which encoded prompt and negative prompt (the second found both in the cache).",
            "NFE: transformer forward passes counted per latent (CFG counts 2; the two-expert models' guidance is 4/3 and 3.5/3.5, so every pass is batched cond+uncond).",
            "ms/forward: sampling s over the predictions (one batched CFG forward each). image s: i2v only, the VAE encode of the first frame into y.",
            "Wall times on a shared CPU vary with its load (see the load average above): compare rows of one run, and read ms/forward as an order of magnitude.",
            "Plans: none, and the family's P&P default (t2v 2-5:3,6-13:1 tau 0.2; i2v 1-5:3,6-13:1 tau 0), on fewer steps than the family's 40/50.",
        ]);
        return table;
    }

    private static string Describe(WanTinyShape s)
        => $"dim {s.Dim}, {s.Heads} heads, ffn {s.FfnDim}, {s.Layers} layers; VAE dim {s.VaeDim}; T5 dim {s.TextDim}, {s.TextLayers} layers";
}
