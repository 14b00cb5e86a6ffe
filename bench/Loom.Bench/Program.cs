using Loom.Bench;

// dotnet run -c Release --project bench/Loom.Bench -- <name> [--json] [--option value ...]
if (args.Length > 0 && args[0].Equals("wan-fixture", StringComparison.OrdinalIgnoreCase))
{
    return WanFixtureCommand.Run(args[1..]);
}

var benchmarks = new Dictionary<string, Func<BenchArguments, Task<BenchTable>>>(StringComparer.OrdinalIgnoreCase)
{
    ["gmm"] = GmmBenchmark.RunAsync,
    ["windows"] = WindowsBenchmark.RunAsync,
    ["scenes"] = ScenesCommand.RunAsync,
    ["physics"] = PhysicsBenchmark.RunAsync,
    ["overhead"] = OverheadBenchmark.RunAsync,
    ["scaling"] = ScalingBenchmark.RunAsync,
    ["batching"] = BatchingBenchmark.RunAsync,
    ["budget"] = BudgetBenchmark.RunAsync,
    ["devices"] = DevicesBenchmark.RunAsync,
    ["device-job"] = DeviceJobBenchmark.RunAsync,
    ["wan-load"] = WanLoadBenchmark.RunAsync,
    ["wan-forward"] = WanForwardBenchmark.RunAsync,
    ["wan-job"] = WanJobBenchmark.RunAsync,
    ["wan-text"] = WanTextBenchmark.RunAsync,
    ["wan-vae"] = WanVaeBenchmark.RunAsync,
    ["index"] = IndexBenchmark.RunAsync,
    ["batch-jobs"] = BatchJobsBenchmark.RunAsync,
    ["arith"] = ArithBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Loom.Bench <{string.Join("|", benchmarks.Keys.Append("wan-fixture"))}> [--json] [--option value ...]");
    return 2;
}

try
{
    var arguments = BenchArguments.Parse(args.Skip(1));
    BenchTable table = await run(arguments);
    Console.WriteLine(arguments.Json ? table.ToJson() : table.ToText());
    return 0;
}
catch (ArgumentException error)
{
    Console.Error.WriteLine($"Loom.Bench {args[0]}: {error.Message}");
    return 2;
}
