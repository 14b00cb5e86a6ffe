using Loom.Models.Weights;
using Loom.Models.WorldModel;
using Loom.Sampling.Fields;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

public sealed class WorldModelTests
{
    private static readonly WorldModelConfig Tiny = new(MaxFrames: 4, Height: 16, Width: 16, Patch: 8, Dim: 16, Depth: 1, Heads: 2);

    [Fact]
    public void Safetensors_round_trip_every_dtype_and_metadata()
    {
        string path = Path.GetTempFileName();
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["a"] = randn(3, 4), ["b"] = arange(6, dtype: ScalarType.Int64).reshape(2, 3), ["c"] = randn(5).to(ScalarType.BFloat16),
        };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["k"] = "v" });
        var (back, metadata) = SafeTensors.Load(path);
        Assert.Equal("v", metadata["k"]);
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.dtype, back[name].dtype);
            Assert.True(Bits.Same(tensor.to(ScalarType.Float32), back[name].to(ScalarType.Float32)), name);
        }
        File.Delete(path);
    }

    [Fact]
    public void Loading_a_file_of_another_shape_names_what_does_not_fit()
    {
        string path = Path.GetTempFileName();
        using (var model = new PhysicsWorldModel(Tiny))
        {
            var tensors = WorldModelWeights.Tensors(model);
            tensors["model.head.weight"] = zeros(3, 3);
            tensors.Remove("model.patch_embed.bias");
            tensors["model.extra"] = zeros(1);
            SafeTensors.Save(path, tensors, new Dictionary<string, string> { [WorldModelWeights.ConfigKey] = System.Text.Json.JsonSerializer.Serialize(Tiny) });
        }
        var error = Assert.Throws<InvalidDataException>(() => WorldModelWeights.Load(path));
        Assert.Contains("missing model.patch_embed.bias", error.Message);
        Assert.Contains("model.head.weight: file has [3, 3]", error.Message);
        Assert.Contains("unexpected model.extra", error.Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => WorldModelWeights.Load(path));
        File.Delete(path);
    }

    [Fact]
    public void Training_resumed_from_a_checkpoint_ends_with_the_same_weights_as_an_uninterrupted_run()
    {
        string straight = Directory.CreateTempSubdirectory().FullName, resumed = Directory.CreateTempSubdirectory().FullName;
        var options = new TrainingOptions(straight, Steps: 4, Batch: 2, WarmupSteps: 2, CheckpointEvery: 2, Frames: 4);
        new WorldModelTrainer(options, Tiny).Run();
        new WorldModelTrainer(options with { OutputDirectory = resumed, Steps = 2 }, Tiny).Run();   // stops at step 2
        new WorldModelTrainer(options with { OutputDirectory = resumed }, Tiny).Run();              // resumes to 4

        using var a = WorldModelWeights.Load(Path.Combine(straight, WorldModelTrainer.WeightsFile));
        using var b = WorldModelWeights.Load(Path.Combine(resumed, WorldModelTrainer.WeightsFile));
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
        {
            Assert.True(Bits.Same(pa, pb), name);
        }
        Assert.Equal(5, File.ReadAllLines(Path.Combine(resumed, "loss.csv")).Length);
        using var fresh = new PhysicsWorldModel(Tiny);
        Assert.False(Bits.Same(fresh.named_parameters().First(p => p.name == "head.weight").parameter, a.named_parameters().First(p => p.name == "head.weight").parameter), "training must move the weights");
    }

    [Fact]
    public async Task The_model_field_predicts_a_velocity_of_the_window_shape_with_and_without_given_frames()
    {
        using var model = new PhysicsWorldModel(Tiny);
        using var clean = randn([1, 3, 4, 16, 16]);
        using var z = randn([2, 3, 4, 16, 16]);
        using var conditioned = new WorldModelField(model, new Sampling.Windows.FrameConditioning(clean, [true, true, false, false]));
        using var free = new WorldModelField(model, null);
        using Prediction a = await conditioned.PredictAsync(z, new StepContext(0, 0.5, 0.4));
        using Prediction b = await free.PredictAsync(z, new StepContext(0, 0.5, 0.4));
        Assert.Equal(z.shape, a.Velocity.shape);
        Assert.True(conditioned.IsConditioned);
        Assert.False(free.IsConditioned);
    }
}
