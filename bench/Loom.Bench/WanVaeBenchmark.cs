using System.Diagnostics;
using Loom.Models.Wan.Vae;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// <c>wan-vae</c>: the Wan2.1 VAE decoder with the released configuration (dim 96, dim_mult [1,2,4,4], 2 residual
/// blocks) and random weights on this CPU. Per resolution: the sequential decode untiled and tiled (time and peak
/// memory per frame, and how far tiling moves the output), then a parallel decode plan with the exact warm-up, its
/// chunks run one after another here (total work, and the longest chunk as the wall time with one shard per chunk).
/// </summary>
public static class WanVaeBenchmark
{
    /// <summary>Runs the benchmark: <c>--sizes HxW,... --latents --tile --overlap --long-latents --chunk --long-size HxW --threads</c>.</summary>
    public static Task<BenchTable> RunAsync(BenchArguments args)
    {
        string[] sizes = args.Text("sizes", "64x64,128x128").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int latents = args.Int("latents", 2), tile = args.Int("tile", 32), overlap = args.Int("overlap", 8);
        int longLatents = (int)args.Double("long-latents", 0), chunk = args.Int("chunk", 8);
        if (args.Double("threads", 0) > 0)
        {
            set_num_threads((int)args.Double("threads", 0));
        }
        var tiling = new WanVaeTiling(tile, overlap).Validate();
        using WanVae vae = WanVaeWeights.Random(WanVaeConfig.Official, seed: 1);
        var settings = new Dictionary<string, object>
        {
            ["config"] = "dim 96, dim_mult [1,2,4,4], 2 res blocks (random weights)", ["latents"] = latents,
            ["tile"] = $"{tile} latent px ({tile * 8} px), overlap {overlap} ({overlap * 8} px)", ["R"] = vae.ExactWarmUp,
            ["threads"] = get_num_threads(),
        };
        var table = new BenchTable("wan-vae", settings,
            ["size", "run", "latents in", "frames out", "seconds", "s/frame", "peak MiB", "max |diff|"]);
        foreach (string size in sizes)
        {
            (int height, int width) = Size(size);
            using Tensor latent = randn([1, 16, latents, height / 8, width / 8], generator: new Generator(2));
            (Tensor sequential, double seconds, double peak) = Measure(() => vae.DecodeUnclamped(latent));
            int frames = (int)sequential.shape[2];
            table.Add(size, "sequential", latents, frames, seconds, seconds / frames, peak, 0.0);
            (Tensor tiled, seconds, peak) = Measure(() => vae.DecodeUnclamped(latent, tiling));
            table.Add(size, $"tiled {tiling.Spans(height / 8).Count}x{tiling.Spans(width / 8).Count}", latents, frames, seconds, seconds / frames, peak, MaxDiff(tiled, sequential));
            tiled.Dispose();
            sequential.Dispose();
        }
        if (longLatents > 0)
        {
            string size = args.Text("long-size", "16x16");
            (int height, int width) = Size(size);
            AddPlan(table, vae, size, height, width, longLatents, chunk);
        }
        table.Notes.Add("peak MiB: the process's peak resident memory during the run (VmHWM, reset before each run after returning freed heap to the system) above its resident memory before the run.");
        table.Notes.Add("tiled: each tile decoded on its own through all frames, overlaps blended linearly; max |diff| against the untiled decode (frames in [-1, 1] before clamping).");
        table.Notes.Add($"plan: chunks of {chunk} latent frames, each after R = {vae.ExactWarmUp} frames of warm-up; 'longest chunk' is the wall time with one shard per chunk, max |diff| against the sequential decode.");
        return Task.FromResult(table);
    }

    private static void AddPlan(BenchTable table, WanVae vae, string size, int height, int width, int latents, int chunk)
    {
        using Tensor latent = randn([1, 16, latents, height / 8, width / 8], generator: new Generator(3));
        (Tensor sequential, double seconds, double peak) = Measure(() => vae.DecodeUnclamped(latent));
        int frames = (int)sequential.shape[2];
        table.Add(size, "long sequential", latents, frames, seconds, seconds / frames, peak, 0.0);
        WanVaeDecodePlan plan = vae.PlanDecode(latents, chunk);
        var pieces = new List<Tensor>();
        double total = 0, longest = 0, peakChunk = 0;
        foreach (WanVaeDecodeChunk c in plan.Chunks)
        {
            (Tensor piece, double s, double p) = Measure(() => vae.DecodeChunk(c.InputOf(latent), c, clamp: false));
            pieces.Add(piece);
            total += s;
            longest = Math.Max(longest, s);
            peakChunk = Math.Max(peakChunk, p);
        }
        using Tensor stitched = plan.Stitch(pieces);
        double diff = MaxDiff(stitched, sequential);
        table.Add(size, $"plan {plan.Chunks.Count} chunks, all", plan.DecodedLatents, frames, total, total / frames, peakChunk, diff);
        table.Add(size, "plan longest chunk", plan.Chunks.Max(c => c.InputLatents), plan.Chunks.Max(c => c.Frames), longest, double.NaN, peakChunk, diff);
        pieces.ForEach(p => p.Dispose());
        sequential.Dispose();
    }

    private static (Tensor Result, double Seconds, double PeakMiB) Measure(Func<Tensor> run)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        MallocTrim(0);
        double before = Status("VmRSS");
        ResetPeak();
        var clock = Stopwatch.StartNew();
        Tensor result = run();
        clock.Stop();
        return (result, clock.Elapsed.TotalSeconds, (Status("VmHWM") - before) / 1024);
    }

    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    private static (int Height, int Width) Size(string text)
    {
        string[] parts = text.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out int h) && int.TryParse(parts[1], out int w) && h > 0 && w > 0 && h % 8 == 0 && w % 8 == 0
            ? (h, w)
            : throw new ArgumentException($"--sizes entries must be HxW with multiples of 8, got '{text}'.");
    }

    /// <summary>glibc: returns freed heap pages to the system, so the resident size before a run is what is really held.</summary>
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>Resets the kernel's peak-RSS counter of this process (Linux: writing 5 to clear_refs).</summary>
    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A <c>/proc/self/status</c> field in KiB (NaN where there is none).</summary>
    private static double Status(string field)
    {
        string? line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal)) : null;
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
