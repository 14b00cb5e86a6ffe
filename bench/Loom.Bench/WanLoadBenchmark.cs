using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Loom.Models.Wan.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// <c>wan-load</c>: peak resident memory while loading a Wan2.1-1.3B-shaped checkpoint (random weights, generated once
/// into <c>--dir</c>, default under /tmp; bf16 on disk) into each compute dtype, against the size of the weights. The
/// loader maps one tensor at a time, so the peak should be the model plus one tensor, not two copies.
/// </summary>
public static class WanLoadBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    public static Task<BenchTable> RunAsync(BenchArguments args)
    {
        int layers = args.Int("layers", 30);
        string dir = args.Text("dir", Path.Combine(Path.GetTempPath(), $"loom-wan-1.3b-{layers}l-bf16"));
        string[] computes = args.Text("compute", "bfloat16").Split(',', StringSplitOptions.RemoveEmptyEntries);
        WanTransformerConfig config = WanTransformerConfig.T2V1_3B with { NumLayers = layers };
        if (!File.Exists(Path.Combine(dir, "config.json")))
        {
            Generate(dir, config);
        }
        long fileBytes = Directory.GetFiles(dir, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var table = new BenchTable("wan-load", new Dictionary<string, object>
        {
            ["checkpoint"] = dir, ["config"] = config.ToString(), ["stored"] = "bf16", ["file_gib"] = Gib(fileBytes),
        }, ["compute", "weights GiB", "RSS before GiB", "peak RSS GiB", "peak - before GiB", "peak extra / weights", "load s"]);
        foreach (string compute in computes)
        {
            ScalarType dtype = compute.Trim().ToLowerInvariant() switch
            {
                "bfloat16" or "bf16" => ScalarType.BFloat16,
                "float16" or "fp16" or "f16" => ScalarType.Float16,
                "float32" or "fp32" or "f32" => ScalarType.Float32,
                _ => throw new ArgumentException($"--compute: unknown dtype '{compute}' (bfloat16, float16, float32)."),
            };
            GC.Collect();
            long before = Status("VmRSS");
            File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
            var clock = Stopwatch.StartNew();
            WanCheckpoint checkpoint = WanCheckpoint.Open(dir);
            using WanTransformer model = checkpoint.Load(dtype);
            double seconds = clock.Elapsed.TotalSeconds;
            long peak = Status("VmHWM");
            long weights = model.parameters().Sum(p => p.NumberOfElements * p.ElementSize);
            table.Add(compute, Gib(weights), Gib(before), Gib(peak), Gib(peak - before), (double)(peak - before) / weights, seconds);
        }
        table.Notes.Add("One compute dtype per run gives clean numbers (--compute float32 for the other). RSS from /proc/self/status (VmRSS before, VmHWM after resetting it through /proc/self/clear_refs). 'weights' is the loaded model's parameters in memory: float32 for norms, modulation and the time embedding, the compute dtype elsewhere. A loader holding two full copies would show peak extra / weights near 2.");
        return Task.FromResult(table);
    }

    private static double Gib(long bytes) => bytes / (1024.0 * 1024 * 1024);

    private static long Status(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Writes config.json and a bf16 safetensors file of random weights tensor by tensor (never the whole model in memory).</summary>
    private static void Generate(string dir, WanTransformerConfig config)
    {
        Directory.CreateDirectory(dir);
        (string Name, long[] Shape)[] tensors;
        using (var shapes = new WanTransformer(config, ScalarType.BFloat16)) // empty storage, never touched
        {
            tensors = shapes.named_parameters().Select(p => (p.name, p.parameter.shape)).OrderBy(t => t.name, StringComparer.Ordinal).ToArray();
        }
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * 2;
            header[name] = new JsonObject
            {
                ["dtype"] = "BF16",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        json = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        string path = Path.Combine(dir, "diffusion_pytorch_model.safetensors");
        using (FileStream file = File.Create(path + ".partial"))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
            file.Write(length);
            file.Write(json);
            var generator = new Generator(14);
            foreach (var (_, shape) in tensors)
            {
                using var scope = NewDisposeScope();
                Tensor t = (randn(shape, generator: generator) * 0.02).to(ScalarType.BFloat16);
                file.Write(t.bytes);
            }
        }
        File.Move(path + ".partial", path, overwrite: true);
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
            {"_class_name": "WanModel", "dim": {{config.Dim}}, "eps": 1e-06, "ffn_dim": {{config.FfnDim}}, "freq_dim": {{config.FreqDim}}, "in_dim": {{config.InDim}},
             "model_type": "t2v", "num_heads": {{config.NumHeads}}, "num_layers": {{config.NumLayers}}, "out_dim": {{config.OutDim}}, "text_len": {{config.TextLen}}}
            """);
    }
}
