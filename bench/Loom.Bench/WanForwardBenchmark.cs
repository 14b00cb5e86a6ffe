using System.Diagnostics;
using System.Text.Json;
using Loom.Models.Wan.Transformer;
using Loom.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// <c>wan-forward</c>: one forward of a Wan2.1-1.3B-wide transformer (dim 1536, 12 heads, ffn 8960, random weights, a
/// few layers) on a small latent window, TorchSharp against PyTorch (<c>bench/wan/wan_forward.py</c>, written from the
/// fixture README and checked against the golden file first) on the same weights, inputs, dtype and thread count.
/// </summary>
public static class WanForwardBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    public static async Task<BenchTable> RunAsync(BenchArguments args)
    {
        int layers = args.Int("layers", 2), frames = args.Int("frames", 3), height = args.Int("height", 30), width = args.Int("width", 52);
        int repeats = args.Int("repeats", 3), threads = args.Int("threads", Environment.ProcessorCount), textTokens = args.Int("text", 512);
        string python = args.Text("python", File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        string script = RepositoryFiles.Find(Path.Combine("bench", "wan", "wan_forward.py"));
        string dtypeName = args.Text("dtype", "float32");
        ScalarType dtype = dtypeName switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            _ => throw new ArgumentException($"--dtype must be float32 or bfloat16, got '{dtypeName}'."),
        };
        torch.set_num_threads(threads);

        // 1. The PyTorch side reproduces the golden file: the same math.
        string fixture = RepositoryFiles.Find(Path.Combine("tests", "fixtures", "wan", "dit_t2v_tiny.safetensors"));
        double pythonFixture = JsonDocument.Parse(await PythonAsync(python, script, "fixture", fixture)).RootElement.GetProperty("max_abs").GetDouble();

        // 2. Random 1.3B-wide weights and inputs in one file both sides read.
        WanTransformerConfig config = WanTransformerConfig.T2V1_3B with { NumLayers = layers };
        string work = Directory.CreateTempSubdirectory("loom-wan-forward-").FullName;
        try
        {
            string file = Path.Combine(work, "case.safetensors");
            using var model = new WanTransformer(config, dtype);
            var generator = new Generator(1);
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (name, p) in model.named_parameters())
            {
                bool norm = name.Contains("norm"), modulation = name.Contains("modulation");
                double std = norm || modulation ? 0.1 : 1.0 / Math.Sqrt(p.shape.Skip(1).Aggregate(1L, (a, b) => a * b));
                Tensor value = randn(p.shape, generator: generator) * std + (norm && name.EndsWith(".weight", StringComparison.Ordinal) ? 1.0 : 0.0);
                using (no_grad())
                {
                    p.copy_(value);
                }
                tensors["weights." + name] = value.to(p.dtype).to(ScalarType.Float32);
            }
            tensors["input.x"] = randn([16, frames, height, width], generator: generator);
            tensors["input.t"] = tensor(new float[] { 731 });
            tensors["input.context"] = randn([textTokens, config.TextDim], generator: generator);
            string configJson = JsonSerializer.Serialize(new
            {
                model_type = "t2v", patch_size = config.PatchSize, text_len = config.TextLen, in_dim = config.InDim, dim = config.Dim, ffn_dim = config.FfnDim,
                freq_dim = config.FreqDim, text_dim = config.TextDim, out_dim = config.OutDim, num_heads = config.NumHeads, num_layers = config.NumLayers, eps = config.Eps,
            });
            SafeTensors.Save(file, tensors, new Dictionary<string, string> { ["config"] = configJson });

            // 3. TorchSharp: one warm-up, then the timed forwards.
            Tensor x = tensors["input.x"].unsqueeze(0), t = tensors["input.t"], context = tensors["input.context"].unsqueeze(0);
            model.Forward(x, t, context).Dispose();
            var seconds = new List<double>();
            Tensor? output = null;
            for (int i = 0; i < repeats; i++)
            {
                output?.Dispose();
                var clock = Stopwatch.StartNew();
                output = model.Forward(x, t, context);
                seconds.Add(clock.Elapsed.TotalSeconds);
            }

            // Where TorchSharp's time goes: one more forward with timestamps at the reference's capture points.
            var parts = new Dictionary<string, double>();
            var partClock = Stopwatch.StartNew();
            double last = 0;
            model.Capture = (name, _) =>
            {
                double now = partClock.Elapsed.TotalSeconds;
                string part = name switch
                {
                    "time_sinusoid" or "time_embedding" or "time_projection" or "text_embedding" or "patch_embedding" => "patch+time+text",
                    _ when name.EndsWith(".norm_q", StringComparison.Ordinal) => "self-attn q,k projections+norms (+ previous block's end)",
                    _ when name.EndsWith(".q_rope", StringComparison.Ordinal) => "rope q",
                    _ when name.EndsWith(".self_attn", StringComparison.Ordinal) => "self-attn rope k, v, SDPA, o",
                    _ when name.EndsWith(".cross_attn", StringComparison.Ordinal) => "cross-attn (with norm3)",
                    "head" => "head",
                    _ => "ffn (with norms)",
                };
                parts[part] = parts.GetValueOrDefault(part) + now - last;
                last = now;
            };
            model.Forward(x, t, context).Dispose();
            model.Capture = null;

            // 4. PyTorch on the same file.
            string pythonOut = Path.Combine(work, "python_out.safetensors");
            using JsonDocument report = JsonDocument.Parse(await PythonAsync(python, script, "time", file, "--repeats", $"{repeats}", "--threads", $"{threads}", "--dtype", dtypeName, "--out", pythonOut));
            double[] pySeconds = report.RootElement.GetProperty("seconds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (pyTensors, _) = SafeTensors.Load(pythonOut);
            double agreement = (output! - pyTensors["output.y"]).abs().max().item<float>();

            long tokens = frames * (height / 2) * (width / 2);
            var table = new BenchTable("wan-forward", new Dictionary<string, object>
            {
                ["config"] = config.ToString(), ["latent"] = $"16x{frames}x{height}x{width}", ["tokens"] = tokens, ["text_tokens"] = config.TextLen,
                ["dtype"] = dtypeName, ["threads"] = threads, ["repeats"] = repeats,
                ["torch"] = report.RootElement.GetProperty("torch").GetString() ?? "", ["pytorch_fixture_max_abs"] = pythonFixture.ToString("e2"),
                ["outputs_max_abs_diff"] = agreement.ToString("e2"),
            }, ["side", "median s", "min s", "ratio to PyTorch"]);
            double ours = RepositoryFiles.Median(seconds), theirs = RepositoryFiles.Median(pySeconds);
            table.Add("TorchSharp", ours, seconds.Min(), ours / theirs);
            table.Add("PyTorch", theirs, pySeconds.Min(), 1.0);
            foreach (var (part, time) in parts)
            {
                table.Notes.Add($"TorchSharp part '{part}': {time:F3} s ({100 * time / parts.Values.Sum():F0}%)");
            }
            foreach (JsonProperty part in report.RootElement.GetProperty("parts").EnumerateObject())
            {
                table.Notes.Add($"PyTorch part '{part.Name}': {part.Value.GetDouble():F3} s per forward ({100 * part.Value.GetDouble() / theirs:F0}%)");
            }
            table.Notes.Add("PyTorch attention is matmul-softmax-matmul (1.13 has no scaled_dot_product_attention); TorchSharp's is libtorch's fused SDPA.");
            output!.Dispose();
            return table;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> PythonAsync(string python, params string[] arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? (await stdout).Trim().Split('\n')[^1]
            : throw new ArgumentException($"{python} {string.Join(" ", arguments)} failed ({process.ExitCode}): {await stderr} (PyTorch: apt-get install -y python3-torch).");
    }
}
