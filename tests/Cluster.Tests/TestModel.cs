using Loom.Models.WorldModel;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>
/// A small world model with random weights, written where silos load models from: cluster tests check orchestration
/// (same bits wherever a window runs), which any fixed weights show, and a small model keeps them fast.
/// </summary>
internal static class TestModel
{
    public static readonly WorldModelConfig Config = new(MaxFrames: 16, Height: 32, Width: 32, Patch: 8, Dim: 32, Depth: 2, Heads: 2);

    /// <summary>Writes the model as <c>physics-world-model.safetensors</c> in a new folder; returns the folder.</summary>
    public static string Write()
    {
        string directory = Directory.CreateTempSubdirectory("loom-models-").FullName;
        manual_seed(11);
        using var model = new PhysicsWorldModel(Config);
        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters())
            {
                parameter.add_(randn_like(parameter) * 0.05);
            }
        }
        WorldModelWeights.Save(Path.Combine(directory, "physics-world-model.safetensors"), model);
        return directory;
    }

    /// <summary>Loads the model from <paramref name="directory"/>.</summary>
    public static PhysicsWorldModel Load(string directory) => WorldModelWeights.Load(Path.Combine(directory, "physics-world-model.safetensors"));
}
