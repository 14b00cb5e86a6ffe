using Loom.Models.Analytic;
using Loom.Models.Serving;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

/// <summary>
/// A model family added without touching the grains: the AR(1) video as a configuration file in the models folder,
/// found by <see cref="ModelFamilies"/>, hosted through the model socket, and exact to the in-process field.
/// </summary>
public sealed class Ar1ModelFamilyTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("loom-ar1-").FullName;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task An_ar1_model_file_is_found_described_and_evaluates_windows_as_the_in_process_field()
    {
        File.WriteAllText(Path.Combine(_models, "ar1-slow.model.json"), """{"family": "ar1", "rho": 0.9, "height": 4, "width": 4, "max_frames": 8}""");
        File.WriteAllText(Path.Combine(_models, "broken.model.json"), """{"family": "ar1", "rho": 1.5, "height": 4, "width": 4, "max_frames": 8}""");
        File.WriteAllText(Path.Combine(_models, "other.model.json"), """{"family": "someone-else"}""");

        IReadOnlyList<ModelFound> found = ModelFamilies.Scan(_models);
        ShardModelInfo info = Assert.Single(found, f => f.Model is not null).Model!;
        Assert.Equal(("ar1-slow", Ar1ModelFamily.FamilyName, 3, 8), (info.Name, info.Family, info.Latent.Channels, info.Latent.MaxFrames));
        Assert.Contains("rho", Assert.Single(found, f => f.Path.EndsWith("broken.model.json", StringComparison.Ordinal)).Problem!, StringComparison.Ordinal);
        Assert.Contains("none of the families this build serves (physics, wan, ar1)", Assert.Single(found, f => f.Path.EndsWith("other.model.json", StringComparison.Ordinal)).Problem!, StringComparison.Ordinal);

        using IShardModel model = ModelFamilies.Open(info);
        model.Load(CPU);
        using var generator = new Generator(5, CPU);
        using Tensor z = randn([2, 3, 5, 4, 4], generator: generator), clean = randn([1, 3, 5, 4, 4], generator: generator);
        bool[] given = [true, true, false, false, false];
        using Tensor flags = tensor(given);
        var conditioned = new Dictionary<string, Tensor> { [ConditioningNames.Frames] = clean, [ConditioningNames.Given] = flags };
        Tensor[] velocities = model.Evaluate([new ModelWindow(z, 0.6, 600, 1.0, new Dictionary<string, Tensor>()), new ModelWindow(z, 0.6, 600, 1.0, conditioned)]);

        var process = new Ar1Video(0.9);
        var window = new TemporalWindow(0, 0, 5);
        using Tensor free = (await process.Window(window).PredictAsync(z, new StepContext(0, 0.6, 0.5))).Velocity;
        using Tensor fixedFrames = (await process.Window(window, new FrameConditioning(clean, given)).PredictAsync(z, new StepContext(0, 0.6, 0.5))).Velocity;
        Assert.Equal(free.bytes.ToArray(), velocities[0].bytes.ToArray());
        Assert.Equal(fixedFrames.bytes.ToArray(), velocities[1].bytes.ToArray());
        Assert.NotEqual(free.bytes.ToArray(), fixedFrames.bytes.ToArray());
        foreach (Tensor v in velocities)
        {
            v.Dispose();
        }
    }
}
