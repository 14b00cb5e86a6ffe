namespace Loom.Models.WorldModel;

/// <summary>How the world model is trained (rectified flow, as Wan: <c>z = (1 - s) x0 + s eps</c>, target <c>eps - x0</c>).</summary>
/// <param name="OutputDirectory">Where checkpoints, the loss curve and the final weights go.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="Batch">Clips per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate (linear warm-up, cosine decay to 10%).</param>
/// <param name="WarmupSteps">Warm-up steps.</param>
/// <param name="WeightDecay">Decoupled weight decay.</param>
/// <param name="Seed">Seed of the initial weights, the sigma and noise draws and the data order.</param>
/// <param name="ConditionDrop">Probability of dropping the given frames (trains the unconditional model for CFG).</param>
/// <param name="CheckpointEvery">Steps between resumable checkpoints.</param>
/// <param name="Frames">Frames per training clip.</param>
public sealed record TrainingOptions(
    string OutputDirectory,
    int Steps = 6000,
    int Batch = 16,
    double LearningRate = 5e-4,
    int WarmupSteps = 200,
    double WeightDecay = 0.01,
    long Seed = 1,
    double ConditionDrop = 0.15,
    int CheckpointEvery = 200,
    int Frames = 16);
