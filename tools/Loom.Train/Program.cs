using System.Globalization;
using Loom.Models.WorldModel;

// Trains the physics world model from scratch (resumes from <out>/checkpoint.safetensors when present):
//   dotnet run -c Release --project tools/Loom.Train -- --out runs/physics [--steps 6000 --batch 16 --lr 5e-4 --seed 1]
var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"loom-train: unexpected argument '{args[i]}'; options are --name value.");
        return 2;
    }
    values[args[i][2..]] = args[i + 1];
}
if (args.Length % 2 != 0 || !values.ContainsKey("out"))
{
    Console.Error.WriteLine("usage: loom-train --out DIR [--steps N] [--batch N] [--lr X] [--seed N] [--threads N]");
    return 2;
}

int Int(string name, int fallback) => values.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
double Double(string name, double fallback) => values.TryGetValue(name, out string? text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

if (values.ContainsKey("threads"))
{
    TorchSharp.torch.set_num_threads(Int("threads", 2));
}
var defaults = new TrainingOptions(values["out"]);
var options = defaults with
{
    Steps = Int("steps", defaults.Steps),
    Batch = Int("batch", defaults.Batch),
    LearningRate = Double("lr", defaults.LearningRate),
    Seed = Int("seed", (int)defaults.Seed),
    CheckpointEvery = Int("checkpoint-every", defaults.CheckpointEvery),
};
bool interactive = !Console.IsErrorRedirected;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
try
{
    string weights = new WorldModelTrainer(options, new WorldModelConfig()).Run(p =>
    {
        int width = 30, filled = (int)(width * (double)p.Step / p.Steps);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', width - filled)}] step {p.Step}/{p.Steps} loss {p.Loss:F4} (avg {p.AverageLoss:F4}) lr {p.LearningRate:G3} {p.ClipsPerSecond:F1} clips/s eta {p.Remaining:hh\\:mm\\:ss}");
        if (interactive)
        {
            Console.Error.Write("\r" + line);
        }
        else if (p.Step % 50 == 0 || p.Step == p.Steps)
        {
            Console.Error.WriteLine(line);
        }
    }, cancel.Token);
    Console.Error.WriteLine();
    Console.WriteLine(weights);
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine($"\nloom-train: stopped; rerun the same command to resume from {Path.Combine(options.OutputDirectory, WorldModelTrainer.CheckpointFile)}.");
    return 130;
}
