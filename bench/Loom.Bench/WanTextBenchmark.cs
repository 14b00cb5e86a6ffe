using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// Wan's text encoder: tokens per second of the real-width UMT5 encoder (random weights, a few layers) against PyTorch
/// on this machine with the same shapes and dtype (<c>bench/wan/umt5_bench.py</c>, the same math: both reproduce the
/// <c>t5</c> golden file first), and the embedding cache's hit rate on a manifest of jobs with repeated prompts.
/// </summary>
public static class WanTextBenchmark
{
    /// <summary>Runs it: <c>--layers --tokens --batch --repeat --dtype --threads --vocab --python --script --jobs --prompts</c>.</summary>
    public static Task<BenchTable> RunAsync(BenchArguments args)
    {
        int layers = args.Int("layers", 2), tokens = args.Int("tokens", 512), batch = args.Int("batch", 1), repeat = args.Int("repeat", 2);
        int threads = args.Int("threads", Environment.ProcessorCount), vocab = args.Int("vocab", 32128);
        int jobs = args.Int("jobs", 2000), distinct = args.Int("prompts", 100);
        string dtypeName = args.Text("dtype", "float32");
        ScalarType dtype = dtypeName switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            _ => throw new ArgumentException($"--dtype must be float32 or bfloat16, got '{dtypeName}'."),
        };
        string python = args.Text("python", File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        string script = args.Text("script", RepositoryFiles.Find(Path.Combine("bench", "wan", "umt5_bench.py")));
        string fixture = RepositoryFiles.Find(Path.Combine("tests", "fixtures", "wan", "t5_encoder_tiny.safetensors"));
        var config = UmT5Config.Xxl with { VocabSize = vocab, NumLayers = layers };
        var settings = new Dictionary<string, object>
        {
            ["dim"] = config.Dim, ["dim_ffn"] = config.DimFfn, ["heads"] = config.NumHeads, ["layers"] = layers, ["vocab"] = vocab,
            ["batch"] = batch, ["tokens"] = tokens, ["dtype"] = dtypeName, ["threads"] = threads, ["repeat"] = repeat,
        };
        var table = new BenchTable("wan-text", settings, ["implementation", "s/forward (median)", "s/forward (min)", "tokens/s", "vs PyTorch", "fixture max abs"]);

        double loomFixture = new T5FixtureRunner().Run(fixture).First(c => c.Name == "output.y").MaxAbs;
        JsonElement pyFixture = RunPython(python, script, ["--check", fixture]);
        set_num_threads(threads);
        string[] pyArguments =
        [
            "--serve", "--dim", $"{config.Dim}", "--dim-attn", $"{config.DimAttn}", "--dim-ffn", $"{config.DimFfn}", "--heads", $"{config.NumHeads}",
            "--layers", $"{layers}", "--buckets", $"{config.NumBuckets}", "--vocab", $"{vocab}", "--batch", $"{batch}", "--tokens", $"{tokens}",
            "--dtype", dtypeName, "--threads", $"{threads}",
        ];
        var (loomSeconds, pySeconds, pyVersion) = TimeInterleaved(config, batch, tokens, dtype, repeat, python, script, pyArguments);
        double loomRate = batch * tokens / RepositoryFiles.Median(loomSeconds), pyRate = batch * tokens / RepositoryFiles.Median(pySeconds);
        table.Add("Loom UmT5Encoder (TorchSharp 0.107)", RepositoryFiles.Median(loomSeconds), loomSeconds.Min(), loomRate, loomRate / pyRate, Scientific(loomFixture));
        table.Add($"PyTorch {pyVersion} (bench/wan/umt5_bench.py)", RepositoryFiles.Median(pySeconds), pySeconds.Min(), pyRate, 1.0,
            Scientific(pyFixture.GetProperty("max_abs").GetDouble()));

        var cache = MeasureCache(jobs, distinct);
        settings["manifest_jobs"] = jobs;
        settings["distinct_prompts"] = distinct;
        table.Notes.Add($"vs PyTorch = Loom tokens/s ÷ PyTorch tokens/s (same shapes, dtype and thread count, one forward of {batch}×{tokens} tokens through {layers} real-width layers, warm-up excluded, the two sides' forwards alternating so machine load hits both alike); fixture max abs = |y - output.y| of t5_encoder_tiny.safetensors, so both sides run the reference math.");
        table.Notes.Add($"cache on a manifest of {jobs} jobs ({cache.DistinctUsed} distinct prompts drawn with a Zipf(1) law from {distinct}, one shared negative prompt): {cache.Stats.Hits} hits, {cache.Stats.Misses} misses, hit rate {cache.Stats.HitRate.ToString("P1", CultureInfo.InvariantCulture)}, {cache.Encoded} prompts encoded for {2 * jobs} requested ({cache.Stats.Entries} entries, {cache.Stats.Bytes / 1024.0:F0} KiB held).");
        return Task.FromResult(table);
    }

    /// <summary>One warm-up forward each, then <paramref name="repeat"/> rounds of one Loom forward and one PyTorch forward.</summary>
    private static (double[] Loom, double[] PyTorch, string PyTorchVersion) TimeInterleaved(
        UmT5Config config, int batch, int tokens, ScalarType dtype, int repeat, string python, string script, IEnumerable<string> pyArguments)
    {
        using Process py = StartPython(python, script, pyArguments);
        string version = ReadJsonLine(py).GetProperty("torch_version").GetString() ?? "?";
        using var scope = NewDisposeScope();
        using var encoder = new UmT5Encoder(config, dtype);
        using (var generator = new Generator(0))
        using (no_grad())
        {
            foreach (var (_, parameter) in encoder.named_parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) / Math.Sqrt(parameter.shape[^1]));
            }
        }
        encoder.eval();
        Tensor ids = randint(0, config.VocabSize, [batch, tokens], dtype: ScalarType.Int64);
        Tensor mask = ones([batch, tokens], ScalarType.Int64);
        var loom = new List<double>();
        var torchSeconds = new List<double>();
        for (int r = 0; r < repeat + 1; r++)
        {
            var watch = Stopwatch.StartNew();
            encoder.forward(ids, mask).Dispose();
            double seconds = watch.Elapsed.TotalSeconds;
            py.StandardInput.WriteLine("forward");
            double pySeconds = ReadJsonLine(py).GetProperty("seconds").GetDouble();
            if (r > 0)
            {
                loom.Add(seconds);
                torchSeconds.Add(pySeconds);
            }
        }
        py.StandardInput.WriteLine("quit");
        py.WaitForExit();
        return (loom.ToArray(), torchSeconds.ToArray(), version);
    }

    private static (TextEmbeddingCacheStats Stats, long Encoded, int DistinctUsed) MeasureCache(int jobs, int distinct)
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(RepositoryFiles.Find(Path.Combine("tests", "fixtures", "wan", "tokenizer_unigram_nfkc.model")));
        using var encoder = new UmT5Encoder(new UmT5Config(tokenizer.SentencePiece.VocabularySize, 64, 64, 128, 4, 1, 32));
        encoder.eval();
        using var cache = new TextEmbeddingCache(256L << 20);
        using var text = new UmT5TextEncoder(tokenizer, encoder, cache);
        string[] subjects = ["a cat", "a red fox", "two dogs", "a lighthouse", "an old man", "a paper boat", "a city street", "a horse"];
        string[] scenes = ["walking on the grass", "in the rain at night", "under a clear sky", "by the sea", "in a snowy forest", "on a busy road"];
        string[] prompts = Enumerable.Range(0, distinct)
            .Select(i => $"{subjects[i % subjects.Length]} {scenes[i / subjects.Length % scenes.Length]}, shot {i}, realistic style")
            .ToArray();
        const string negative = "blurry, low quality, distorted, watermark, text";
        double[] weights = Enumerable.Range(1, distinct).Select(k => 1.0 / k).ToArray();
        double total = weights.Sum();
        var random = new Random(17);
        var used = new HashSet<int>();
        for (int job = 0; job < jobs; job++)
        {
            double u = random.NextDouble() * total;
            int pick = 0;
            while (pick < distinct - 1 && (u -= weights[pick]) > 0)
            {
                pick++;
            }
            used.Add(pick);
            foreach (EncodedPrompt encoded in text.Encode([prompts[pick], negative]))
            {
                encoded.Embedding.Dispose();
            }
        }
        return (cache.Stats, text.PromptsEncoded, used.Count);
    }

    private static JsonElement RunPython(string python, string script, IEnumerable<string> arguments)
    {
        using Process process = StartPython(python, script, arguments);
        JsonElement result = ReadJsonLine(process);
        process.WaitForExit();
        return result;
    }

    private static Process StartPython(string python, string script, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process = Process.Start(start) ?? throw new ArgumentException($"--python: could not start '{python}'.");
        process.ErrorDataReceived += (_, e) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static JsonElement ReadJsonLine(Process process)
    {
        string? line = process.StandardOutput.ReadLine();
        if (line is null)
        {
            process.WaitForExit();
            throw new ArgumentException($"python exited with {process.ExitCode} before answering: run the script by hand to see its error (PyTorch installed? apt-get install -y python3-torch).");
        }
        using JsonDocument json = JsonDocument.Parse(line);
        return json.RootElement.Clone();
    }

    private static string Scientific(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);
}
