using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// The world model as a velocity field over a window of frames <c>[B, 3, L, H, W]</c>, conditioned on the clean
/// frames given inside the window (video-to-world), or unconditional. Wrap two of these (with and without
/// conditioning) in <see cref="ClassifierFreeGuidance"/> for guidance, and the result in
/// <see cref="ConditionedFrames"/> so the given frames stay exact.
/// </summary>
public sealed class WorldModelField : IVelocityField, IDisposable
{
    private readonly PhysicsWorldModel _model;
    private readonly Tensor? _conditioning; // [B or 1, 4, L, H, W]
    private readonly object _gate = new();

    /// <summary>A field for <paramref name="model"/>, conditioned on <paramref name="given"/> when it has given frames.</summary>
    public WorldModelField(PhysicsWorldModel model, FrameConditioning? given)
    {
        _model = model;
        if (given is { Any: true })
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            long frames = given.Given.Count;
            Tensor mask = tensor(given.Given.ToArray()).to(ScalarType.Float32).reshape(1, 1, frames, 1, 1);
            Tensor clean = given.Clean.to(ScalarType.Float32) * mask;
            long[] planeShape = (long[])clean.shape.Clone();
            planeShape[1] = 1;
            _conditioning = cat([clean, mask.expand(planeShape)], 1).DetachFromDisposeScope();
        }
    }

    /// <summary>True when this field sees given frames.</summary>
    public bool IsConditioned => _conditioning is not null;

    /// <inheritdoc />
    public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Tensor velocity;
        lock (_gate)
        {
            velocity = TensorBlock.Run(() =>
            {
                long batch = z.shape[0];
                Tensor conditioning = _conditioning is null
                    ? zeros([batch, 4, z.shape[2], z.shape[3], z.shape[4]])
                    : _conditioning.expand(batch, -1, -1, -1, -1);
                Tensor sigma = tensor(Enumerable.Repeat((float)context.Sigma, (int)batch).ToArray());
                return _model.forward(z.to(ScalarType.Float32), sigma, conditioning).to(z.dtype);
            });
        }
        return Task.FromResult(new Prediction(velocity, 1));
    }

    /// <inheritdoc />
    public void Dispose() => _conditioning?.Dispose();
}
