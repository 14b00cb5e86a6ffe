using Loom.Models.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// The physics world model behind the model socket: loaded in float32 and moved to the shard's device once; a batch of
/// windows is one forward pass through <see cref="WorldModelBatch"/>, the same arithmetic as the in-process
/// <see cref="WorldModelField"/>. Given frames arrive as <see cref="ConditioningNames.Frames"/> and <see cref="ConditioningNames.Given"/>.
/// </summary>
public sealed class PhysicsShardModel(ShardModelInfo info) : IShardModel
{
    private PhysicsWorldModel? _model;

    /// <inheritdoc />
    public ShardModelInfo Info { get; } = info;

    /// <inheritdoc />
    public bool IsLoaded => _model is not null;

    /// <inheritdoc />
    public void Load(Device device)
    {
        if (_model is not null)
        {
            return;
        }
        PhysicsWorldModel model = WorldModelWeights.Load(Info.Path);
        if (device.type != DeviceType.CPU)
        {
            model.to(device);
        }
        _model = model;
    }

    /// <inheritdoc />
    public void Check(ModelWindow window)
    {
        if (window.Latent.dim() != 5 || window.Latent.shape[1] != WorldModelConfig.Channels)
        {
            throw new ArgumentException($"latent [{string.Join(", ", window.Latent.shape)}] must be [b, {WorldModelConfig.Channels}, F, H, W] for {Info.Name}.", nameof(window));
        }
        _ = window.GivenFrames();
    }

    /// <inheritdoc />
    public Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows)
    {
        PhysicsWorldModel model = _model ?? throw new InvalidOperationException($"model {Info.Name} is not loaded.");
        using var scope = NewDisposeScope();
        var inputs = new List<WindowInput>(windows.Count);
        foreach (ModelWindow window in windows)
        {
            Tensor? conditioning = window.GivenFrames() is (Tensor clean, bool[] given) ? WorldModelBatch.Conditioning(clean, given) : null;
            inputs.Add(new WindowInput(window.Latent, window.Sigma, conditioning, window.Guidance));
        }
        return WorldModelBatch.Evaluate(model, inputs).Select(v => v.MoveToOuterDisposeScope()).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => _model?.Dispose();
}
