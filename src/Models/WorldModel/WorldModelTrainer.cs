using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loom.Models.Physics;
using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// Trains the physics world model from scratch on freshly simulated clips. Everything random is a function of
/// (seed, step), and the optimizer state is checkpointed, so a resumed run continues exactly where it stopped.
/// Files in the output directory: <c>checkpoint.safetensors</c> (model + AdamW moments + step),
/// <c>loss.csv</c> (step, loss, lr, seconds) and, at the end, <c>physics-world-model.safetensors</c>.
/// </summary>
public sealed class WorldModelTrainer(TrainingOptions options, WorldModelConfig config)
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double AdamEpsilon = 1e-8;
    private const double MinLossSigma = 0.05;

    /// <summary>Checkpoint file name.</summary>
    public const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>Final weights file name.</summary>
    public const string WeightsFile = "physics-world-model.safetensors";

    /// <summary>Runs (or resumes) training; returns the path of the final weights.</summary>
    public string Run(Action<TrainingProgress>? onStep = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        string checkpointPath = Path.Combine(options.OutputDirectory, CheckpointFile);
        string lossPath = Path.Combine(options.OutputDirectory, "loss.csv");
        manual_seed(options.Seed);
        PhysicsWorldModel model;
        var moments = new Dictionary<string, Tensor>();
        int step = 0;
        if (File.Exists(checkpointPath))
        {
            model = WorldModelWeights.Load(checkpointPath, moments);
            step = int.Parse(WorldModelWeights.Metadata(checkpointPath)["loom.step"], CultureInfo.InvariantCulture);
            TrimLossCurve(lossPath, step);
        }
        else
        {
            model = new PhysicsWorldModel(config);
            File.WriteAllText(lossPath, "step,loss,lr,seconds\n");
        }
        model.train();
        var parameters = model.named_parameters().ToList();
        foreach (var (name, parameter) in parameters)
        {
            moments.TryAdd("adam_m." + name, zeros_like(parameter));
            moments.TryAdd("adam_v." + name, zeros_like(parameter));
        }

        var simulator = new PhysicsSimulator(config.Height, config.Width);
        var clock = Stopwatch.StartNew();
        double average = double.NaN;
        using var lossLog = new StreamWriter(lossPath, append: true);
        while (step < options.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double lr = LearningRate(step);
            double loss = TrainStep(model, parameters, moments, simulator, step, lr);
            step++;
            average = double.IsNaN(average) ? loss : 0.98 * average + 0.02 * loss;
            lossLog.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step},{loss:G6},{lr:G4},{clock.Elapsed.TotalSeconds:F1}"));
            if (step % options.CheckpointEvery == 0 || step == options.Steps)
            {
                lossLog.Flush();
                SaveCheckpoint(checkpointPath, model, moments, step);
            }
            onStep?.Invoke(new TrainingProgress(step, options.Steps, loss, average, lr, options.Batch / Math.Max(1e-9, clock.Elapsed.TotalSeconds) * step, clock.Elapsed));
        }
        string weightsPath = Path.Combine(options.OutputDirectory, WeightsFile);
        model.eval();
        WorldModelWeights.Save(weightsPath, model, new Dictionary<string, string>
        {
            ["loom.steps"] = step.ToString(CultureInfo.InvariantCulture),
            ["loom.training"] = JsonSerializer.Serialize(options with { OutputDirectory = "." }),
        });
        model.Dispose();
        foreach (Tensor tensor in moments.Values)
        {
            tensor.Dispose();
        }
        return weightsPath;
    }

    private double TrainStep(PhysicsWorldModel model, List<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters, Dictionary<string, Tensor> moments, PhysicsSimulator simulator, int step, double lr)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(DeterministicNoise.StreamSeed(options.Seed, step, 7), new Device(DeviceType.CPU));
        int batch = options.Batch, frames = options.Frames;
        int clipSize = WorldModelConfig.Channels * frames * config.Height * config.Width;
        var pixels = new float[batch * clipSize];
        Parallel.For(0, batch, i => Array.Copy(simulator.Generate(PhysicsDataset.TrainSeed((long)step * batch + i), frames).Pixels, 0, pixels, i * clipSize, clipSize));
        Tensor x0 = tensor(pixels).reshape(batch, WorldModelConfig.Channels, frames, config.Height, config.Width);

        // Scalars are held for the whole step: TorchSharp's implicit ones can be finalized mid-call (see TransformerBlock.Modulate).
        using Scalar one = 1.0f.ToScalar(), drop = options.ConditionDrop.ToScalar();
        using Scalar keep1 = Beta1.ToScalar(), keep2 = Beta2.ToScalar(), rest1 = (1 - Beta1).ToScalar(), rest2 = (1 - Beta2).ToScalar();
        using Scalar decay = (1 - lr * options.WeightDecay).ToScalar(), epsilon = AdamEpsilon.ToScalar(), stepSize = (-lr).ToScalar();
        using Scalar correction1 = (1 - Math.Pow(Beta1, step + 1)).ToScalar(), correction2 = (1 - Math.Pow(Beta2, step + 1)).ToScalar();

        // Half the draws logit-normal (SD3: mass in the middle), half uniform: the last sampling steps run at s < 0.1,
        // which logit-normal alone visits 1.4% of the time; a model trained that way denoised worse than z itself there.
        using Scalar half = 0.5f.ToScalar();
        Tensor logitNormal = sigmoid(randn([batch], generator: generator));
        Tensor uniform = rand([batch], generator: generator);
        Tensor sigma = where(rand([batch], generator: generator).lt(half), uniform, logitNormal);
        Tensor s = sigma.reshape(batch, 1, 1, 1, 1);
        Tensor eps = randn(x0.shape, generator: generator);
        Tensor z = HeldScalars.Add(x0, s * HeldScalars.Sub(eps, x0));                                                      // (1 - s) x0 + s eps
        Tensor keep = rand([batch], generator: generator).ge(drop).to(ScalarType.Float32).reshape(batch, 1, 1, 1, 1);
        Tensor givenFrames = tensor(Enumerable.Range(0, frames).Select(f => f < WorldModelConfig.GivenFrames ? 1f : 0f).ToArray()).reshape(1, 1, frames, 1, 1);
        Tensor given = keep * givenFrames;                                                    // [B, 1, F, 1, 1]
        Tensor conditioning = cat([x0 * given, given.expand(batch, 1, frames, config.Height, config.Width)], 1);

        // Velocity loss of an x-predicting network: |v_hat - v|^2 = |x0_hat - x0|^2 / s^2, with s floored at
        // MinLossSigma so the few nearly clean draws do not dominate (Li and He 2025 clip the same way).
        Tensor clean = model.PredictClean(z, sigma, conditioning);
        Tensor free = given.neg().add_(one).expand(batch, WorldModelConfig.Channels, frames, config.Height, config.Width);
        using Scalar floor = MinLossSigma.ToScalar();
        Tensor error = HeldScalars.Sub(clean, x0) / s.clamp_min(floor);
        Tensor loss = (error.square() * free).sum() / free.sum();
        loss.backward();
        nn.utils.clip_grad_norm_(parameters.Select(p => p.Parameter), 1.0);
        using (no_grad())
        {
            foreach (var (name, parameter) in parameters)
            {
                Tensor grad = parameter.grad!;
                Tensor m = moments["adam_m." + name], v = moments["adam_v." + name];
                m.mul_(keep1).add_(grad, alpha: rest1);
                v.mul_(keep2).addcmul_(grad, grad, value: rest2);
                parameter.mul_(decay);
                parameter.addcdiv_(m.div(correction1), v.div(correction2).sqrt_().add_(epsilon), value: stepSize);
                grad.zero_();
            }
        }
        return loss.item<float>();
    }

    private double LearningRate(int step)
    {
        if (step < options.WarmupSteps)
        {
            return options.LearningRate * (step + 1) / options.WarmupSteps;
        }
        double progress = (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps);
        return options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    private void SaveCheckpoint(string path, PhysicsWorldModel model, Dictionary<string, Tensor> moments, int step)
    {
        WorldModelWeights.Save(path, model, new Dictionary<string, string>
        {
            ["loom.step"] = step.ToString(CultureInfo.InvariantCulture),
            ["loom.training"] = JsonSerializer.Serialize(options with { OutputDirectory = "." }),
        }, moments);
    }

    private static void TrimLossCurve(string path, int step)
    {
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "step,loss,lr,seconds\n");
            return;
        }
        var lines = File.ReadAllLines(path).Where((line, i) => i == 0 || int.Parse(line.Split(',')[0], CultureInfo.InvariantCulture) <= step);
        File.WriteAllLines(path, lines);
    }
}
