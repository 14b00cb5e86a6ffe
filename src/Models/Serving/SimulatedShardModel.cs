using TorchSharp;

namespace Loom.Models.Serving;

/// <summary>
/// A stand-in for a model, for benchmarks beyond this machine's cores: each window takes <paramref name="forward"/> of
/// wall time (no batching gain is assumed) and its velocity is its own latent (real bytes, no model). Nothing is loaded.
/// </summary>
/// <param name="info">The model it stands in for (an unknown model fails as it would for real).</param>
/// <param name="forward">Time per window.</param>
public sealed class SimulatedShardModel(ShardModelInfo info, TimeSpan forward) : IShardModel
{
    /// <inheritdoc />
    public ShardModelInfo Info { get; } = info;

    /// <inheritdoc />
    public bool IsLoaded => true;

    /// <inheritdoc />
    public void Load(torch.Device device)
    {
    }

    /// <inheritdoc />
    public void Check(ModelWindow window)
    {
    }

    /// <inheritdoc />
    public torch.Tensor[] Evaluate(IReadOnlyList<ModelWindow> windows)
    {
        Thread.Sleep(forward * windows.Count);
        return windows.Select(w => w.Latent.clone()).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
