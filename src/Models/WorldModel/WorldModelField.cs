using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;

namespace Loom.Models.WorldModel;

/// <summary>
/// The world model as a velocity field over a window of frames <c>[B, 3, L, H, W]</c>, conditioned on the clean
/// frames given inside the window (video-to-world) or unconditional, with classifier-free guidance when
/// <c>guidance &gt; 1</c>. Wrap the result in <see cref="ConditionedFrames"/> so the given frames stay exact.
/// Evaluates through <see cref="WorldModelBatch"/>, as a shard does, so in-process and cluster runs agree bit for bit.
/// </summary>
public sealed class WorldModelField : IVelocityField, IDisposable
{
    private readonly PhysicsWorldModel _model;
    private readonly torch.Tensor? _conditioning;
    private readonly double _guidance;
    private readonly object _gate = new();

    /// <summary>A field for <paramref name="model"/>, conditioned on <paramref name="given"/> when it has given frames.</summary>
    public WorldModelField(PhysicsWorldModel model, FrameConditioning? given, double guidance = 1.0)
    {
        if (!double.IsFinite(guidance) || guidance < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(guidance), guidance, "guidance must be a finite number >= 0.");
        }
        _model = model;
        _guidance = guidance;
        _conditioning = given is { Any: true } ? WorldModelBatch.Conditioning(given.Clean, given.Given) : null;
    }

    /// <summary>True when this field sees given frames.</summary>
    public bool IsConditioned => _conditioning is not null;

    /// <inheritdoc />
    public Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var input = new WindowInput(z, context.Sigma, _conditioning, _guidance);
        torch.Tensor velocity;
        lock (_gate)
        {
            velocity = WorldModelBatch.Evaluate(_model, [input])[0];
        }
        return Task.FromResult(new Prediction(velocity, input.EvaluationsPerSample));
    }

    /// <inheritdoc />
    public void Dispose() => _conditioning?.Dispose();
}
