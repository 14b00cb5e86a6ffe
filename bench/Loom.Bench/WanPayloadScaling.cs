using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using Loom.Models.WorldModel;
using Loom.Sampling.Refinement;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// <c>scaling --workload wan480</c>: the long-video scaling run with windows that carry as many latent values as a Wan
/// 480p window (16 x 21 x 60 x 104 = 2,096,640 per window, 4 MB in half precision each way per evaluation) and a
/// forward time from <c>bench/results/gpu-forward.txt</c>. The shards are simulated (they wait the forward time); the
/// job, its silo, the messages and their bytes are real. The payload model is a physics-family file written for the run
/// with 21-frame windows of 160 x 208 RGB: 3 x 21 x 160 x 208 is exactly a Wan 480p window's value count, so the
/// job's serialization, fusion, P&amp;P arithmetic, checkpoints and wire bytes are those of Wan 480p.
/// It also measures, in this process, the constants of docs/coordination-model.md: serialization, fusion, noise and
/// P&amp;P arithmetic per MB on the job's thread (fastest of several repeats).
/// </summary>
public static class WanPayloadScaling
{
    /// <summary>Frames per Wan window in latent frames (81 video frames).</summary>
    public const int WindowLatents = 21;

    /// <summary>Frame size of the stand-in model: 3 x 160 x 208 = 16 x 60 x 104 values per latent frame.</summary>
    public const int Height = 160, Width = 208;

    /// <summary>
    /// Runs it: <c>--wan 1.3b|14b --windows 16,32 --shards 16 --silos 4 --overlap 5 --steps --plan --checkpoint-every --forward-ms --constants-only true --ab true --ab-windows 4 --ab-steps 2 --ab-plan 0-1:2</c>
    /// and <c>--resident no|yes|both</c> (both by default: the job owns the latent, then the windows stay on their shards, each on its own cluster).
    /// </summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        string wan = args.Text("wan", "1.3b");
        double forwardMs = args.Double("forward-ms", 0) is > 0 and var given ? given : GpuForwardMs(wan);
        int[] windowCounts = args.Ints("windows", "16");
        int[] shardCounts = args.Ints("shards", "16");
        int maxSilos = args.Int("silos", 4), overlap = args.Int("overlap", 5), steps = args.Int("steps", 12), checkpointEvery = args.Int("checkpoint-every", 1);
        string plan = args.Text("plan", "1-4:2");
        bool constantsOnly = args.Text("constants-only", "false") == "true";
        bool[] residentPasses = args.ResidentPasses("both");
        int rounds = RefinementPlan.Parse(plan).Nfe(steps, guided: false);
        if (overlap >= WindowLatents)
        {
            throw new ArgumentException($"--overlap must be less than {WindowLatents} latent frames, got {overlap}.");
        }

        var table = new BenchTable("scaling wan480", new Dictionary<string, object>
        {
            ["window"] = $"{WindowLatents} latent frames x 3 x {Height} x {Width} = {WindowValues:N0} values (a Wan 480p window: 16 x 21 x 60 x 104 = 2,096,640), overlap {overlap}",
            ["forward"] = $"{forwardMs:F1} ms per window evaluation ({(args.Double("forward-ms", 0) > 0 ? "--forward-ms" : $"Wan2.1 {wan}, H100, gpu-forward.txt")})",
            ["steps"] = $"{steps}, plan {plan}: {rounds} rounds",
            ["silos"] = $"up to {maxSilos} processes, shards split evenly; wire fp16",
            ["load"] = LoadAverage.Now(),
        }, ["workload", "windows", "shards", "wall s", "ideal s", "efficiency", "overhead ms/round", "MB sent/round", "MB recv/round", "silo cpu ms/round",
            .. ScalingBenchmark.PhaseColumns]);

        foreach (int windows in windowCounts)
        {
            foreach (var row in Constants(windows, overlap))
            {
                table.Notes.Add(row);
            }
        }
        if (args.Int("ab-windows", 4) is var abWindows && args.Text("ab", "true") == "true")
        {
            table.Notes.AddRange(ResidentAbRun.Run(abWindows, overlap, args.Int("ab-steps", 2), args.Text("ab-plan", "0-1:2")));
        }
        if (constantsOnly)
        {
            return table;
        }

        string models = Directory.CreateTempSubdirectory("loom-wan480-").FullName;
        try
        {
            WritePayloadModel(Path.Combine(models, "wan480-world-model.safetensors"));
            foreach ((bool resident, int shards) in residentPasses.SelectMany(r => shardCounts.Select(n => (r, n))))
            {
                int silos = Math.Min(shards, maxSilos);
                if (shards % silos != 0)
                {
                    throw new ArgumentException($"--shards: {shards} shards do not split evenly over {silos} silos.");
                }
                var settings = new Dictionary<string, string>
                {
                    ["MaxRunningJobs"] = "4", ["PreloadModels"] = "true",
                    ["SimulatedForward"] = TimeSpan.FromMilliseconds(forwardMs).ToString("c", CultureInfo.InvariantCulture),
                    ["ResidentWindows"] = resident ? "true" : "false",
                };
                await using BenchCluster cluster = await BenchCluster.StartAsync(models, silos, shards / silos, settings);
                foreach (int windows in windowCounts)
                {
                    JobSpec spec = Spec(windows, overlap, steps, plan, checkpointEvery);
                    string run = Guid.NewGuid().ToString("N")[..8];
                    await cluster.RunAsync([($"warm-{run}", spec with { Steps = 1, Plan = "none" })]);
                    PhaseSeconds before = await cluster.PhasesAsync();
                    double cpu = cluster.SiloCpuSeconds;
                    JobStatus[] done = await cluster.RunAsync([($"wan480-{run}", spec)]);
                    cpu = cluster.SiloCpuSeconds - cpu;
                    PhaseSeconds phases = (await cluster.PhasesAsync()).Minus(before);
                    JobStatus status = done[0];
                    double wall = BenchCluster.Span(done);
                    double ideal = rounds * Math.Ceiling(windows / (double)shards) * forwardMs / 1000;
                    table.Add([
                        resident ? "long video (windows resident)" : "long video (job owns the latent)", windows, shards, wall, ideal, ideal / wall, (wall - ideal) * 1000 / rounds,
                        status.BytesSent / 1e6 / rounds, status.BytesReceived / 1e6 / rounds, cpu * 1000 / rounds,
                        .. ScalingBenchmark.PhaseValues(phases, steps, status.Messages)]);
                }
            }
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
        table.Notes.Add("wall s: submission to completion (silo clocks). ideal s: rounds x ceil(windows / shards) x forward. overhead ms/round: (wall - ideal) / rounds:");
        table.Notes.Add("everything the job silo does between forwards (encode, send, receive, decode, fuse, P&P arithmetic, noise, checkpoint), plus waiting.");
        table.Notes.Add("simulated shards: real silos, grains, messages and bytes; the forward is a wait. Load average at start in the settings line.");
        table.Notes.Add("step ms .. decode ms/call: the silos' loom_step_phase_seconds_total per job step and per window call, as `scaling --phases yes` prints them");
        table.Notes.Add("(arith = step - rounds: the job's slicing, fusion, P&P arithmetic and noise; msg = call - shard queue - shard forward).");
        return table;
    }

    /// <summary>Values of one window's latent.</summary>
    public static long WindowValues => 3L * WindowLatents * Height * Width;

    /// <summary>A co-denoised long video of <paramref name="windows"/> Wan-sized windows on the stand-in model.</summary>
    public static JobSpec Spec(int windows, int overlap, int steps, string plan, int checkpointEvery) => new(
        Model: "wan480", Frames: WindowLatents + (windows - 1) * (WindowLatents - overlap), Height: Height, Width: Width, Steps: steps, Plan: plan, Tau: 0,
        WindowLength: WindowLatents, WindowOverlap: overlap, Seed: 1, CheckpointEvery: checkpointEvery);

    /// <summary>Milliseconds of one Wan2.1 forward over a 21-latent-frame 480 x 832 window, from bench/results/gpu-forward.txt.</summary>
    public static double GpuForwardMs(string model)
    {
        string path = RepositoryFiles.Find("bench/results/gpu-forward.txt");
        foreach (string line in File.ReadLines(path).Where(l => l.StartsWith('{')))
        {
            using JsonDocument json = JsonDocument.Parse(line);
            JsonElement root = json.RootElement;
            if (root.GetProperty("model").GetString() == model && root.GetProperty("latent_frames").GetInt32() == WindowLatents)
            {
                return root.GetProperty("ms").GetDouble();
            }
        }
        throw new ArgumentException($"--wan: {path} has no {WindowLatents}-latent-frame line for model '{model}' (1.3b or 14b).");
    }

    /// <summary>Writes a physics-family model file whose windows are Wan 480p-sized (the simulated shards never run it).</summary>
    private static void WritePayloadModel(string path)
    {
        manual_seed(0);
        using var model = new PhysicsWorldModel(new WorldModelConfig(MaxFrames: WindowLatents, Height: Height, Width: Width, Dim: 32, Depth: 1, Heads: 2));
        WorldModelWeights.Save(path, model);
    }

    /// <summary>
    /// The per-round costs the job silo pays for one window or for the whole latent, measured on this thread: wire
    /// encode and decode (fp16), the window slice, fusion, noise and the P&amp;P arithmetic, each as MB/s of float32.
    /// </summary>
    private static IEnumerable<string> Constants(int windows, int overlap)
    {
        var plan = new WindowPlan(WindowLatents + (windows - 1) * (WindowLatents - overlap), WindowLatents, overlap);
        long[] shape = [1, 3, plan.Frames, Height, Width];
        double videoMb = shape.Aggregate(4.0, (a, b) => a * b) / 1e6;
        double windowMb = WindowValues * 4.0 / 1e6;
        using var noGrad = no_grad();
        using Tensor video = randn(shape);
        using Tensor window = video.narrow(WindowFusion.FrameAxis, 0, WindowLatents).contiguous();
        WireTensor wire = WireCodec.Encode(window, WirePrecision.Float16);
        double encode = Seconds(() => WireCodec.Encode(window, WirePrecision.Float16));
        double decode = Seconds(() => wire.ToTensor(window.shape).Dispose());
        double slice = Seconds(() => video.narrow(WindowFusion.FrameAxis, plan.Windows[^1].Start, WindowLatents).contiguous().clone().Dispose());
        Tensor[] parts = plan.Windows.Select(w => video.narrow(WindowFusion.FrameAxis, w.Start, w.Length).contiguous()).ToArray();
        double[][] weights = plan.Weights(Loom.Sampling.Windows.WindowBlend.Linear);
        double fuse = Seconds(() => WindowFusion.Fuse(plan, weights, parts, video).Dispose(), 3);
        double noise = Seconds(() => Loom.Sampling.Noise.DeterministicNoise.Batch([1], 0, 1, shape[1..]).Dispose(), 3);
        double arithmetic = Seconds(() =>
        {
            // Euler + the P&P merge of one refinement prediction over the whole latent (SelfRefiningSampler's elementwise passes).
            using var scope = NewDisposeScope();
            using Scalar s = 0.5.ToScalar(), delta = (-0.1).ToScalar(), tau = 0.1.ToScalar();
            Tensor x0 = video.sub(video.mul(s));
            Tensor next = video.add(video.mul(delta));
            Tensor mask = x0.sub(video).abs().mean([1], keepdim: true).lt(tau);
            _ = where(mask, next, x0);
            _ = where(mask, x0, next);
        }, 3);
        foreach (Tensor part in parts)
        {
            part.Dispose();
        }
        string Rate(double seconds, double mb) => $"{mb / seconds:F0} MB/s ({seconds * 1000:F1} ms for {mb:F1} MB)";
        yield return $"constants, {windows} windows ({plan.Frames} latent frames, {videoMb:F0} MB fp32 latent), this machine, 1 job thread, {LoadAverage.Now()}:";
        yield return $"  wire encode fp32->fp16 per window: {Rate(encode, windowMb)}; decode fp16->fp32: {Rate(decode, windowMb)}; window slice copy: {Rate(slice, windowMb)}";
        yield return $"  fusion of {windows} windows: {Rate(fuse, videoMb)}; noise (randn, whole latent): {Rate(noise, videoMb)}; Euler + P&P merge: {Rate(arithmetic, videoMb)}";
    }

    private static double Seconds(Action action, int repeats = 7)
    {
        action();
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            long started = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        return times.Min(); // the fastest of the repeats: this shared machine's load only ever adds
    }
}
