using Loom.Models.Serving;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using static TorchSharp.torch;

namespace Loom.Models.Analytic;

/// <summary>
/// The AR(1) video behind the model socket: each window's exact velocity (<see cref="Ar1Video.Window"/>), conditioned on
/// its given frames. Computed in float64 on the CPU whatever the shard's device, then returned there; guidance has no
/// meaning for an exact field and is ignored.
/// </summary>
public sealed class Ar1ShardModel(ShardModelInfo info, Ar1Video process) : IShardModel
{
    /// <inheritdoc />
    public ShardModelInfo Info { get; } = info;

    /// <inheritdoc />
    public bool IsLoaded => true;

    /// <inheritdoc />
    public void Load(Device device)
    {
    }

    /// <inheritdoc />
    public void Check(ModelWindow window) => _ = window.GivenFrames();

    /// <inheritdoc />
    public Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows)
    {
        var results = new Tensor[windows.Count];
        for (int i = 0; i < windows.Count; i++)
        {
            ModelWindow window = windows[i];
            using var scope = NewDisposeScope();
            Tensor latent = window.Latent.cpu();
            FrameConditioning? given = window.GivenFrames() is (Tensor clean, bool[] flags) ? new FrameConditioning(clean.cpu(), flags) : null;
            IVelocityField field = process.Whole((int)latent.shape[2], given);
            Tensor velocity = field.PredictAsync(latent, new StepContext(0, window.Sigma, window.Sigma) { Timestep = window.Timestep }).GetAwaiter().GetResult().Velocity;
            results[i] = velocity.to(window.Latent.device).MoveToOuterDisposeScope();
        }
        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
