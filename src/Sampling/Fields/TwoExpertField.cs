using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Wan2.2 A14B's two experts: the high-noise expert while the step's timestep <c>t &gt;= boundary * 1000</c>, the
/// low-noise expert after. With <see cref="Schedules.ScheduleKind.Wan"/> t is the integer timestep the model sees,
/// as in the official pipelines (<c>t.item() &gt;= boundary * num_train_timesteps</c>). The choice depends only on the step's timestep, which refinement iterations share, so every inner
/// iteration of a step uses the same expert (each expert carries its own guidance by being a guided field).
/// </summary>
public sealed class TwoExpertField : IVelocityField
{
    private readonly IVelocityField _highNoise;
    private readonly IVelocityField _lowNoise;

    /// <summary>Switches from <paramref name="highNoise"/> to <paramref name="lowNoise"/> at <paramref name="boundary"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">boundary is outside [0, 1].</exception>
    public TwoExpertField(IVelocityField highNoise, IVelocityField lowNoise, double boundary)
    {
        if (!(boundary >= 0 && boundary <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(boundary), boundary, "boundary must be in [0, 1] (a fraction of 1000 timesteps).");
        }
        _highNoise = highNoise;
        _lowNoise = lowNoise;
        Boundary = boundary;
    }

    /// <summary>The switch point as a fraction of the training timesteps (Wan2.2 T2V: 0.875, I2V: 0.9).</summary>
    public double Boundary { get; }

    /// <summary>True when the step at <paramref name="context"/> uses the high-noise expert.</summary>
    public bool UsesHighNoiseExpert(StepContext context) => context.Timestep >= Boundary * Schedules.FlowSchedule.TrainTimesteps;

    /// <inheritdoc />
    public Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        IVelocityField expert = UsesHighNoiseExpert(context) ? _highNoise : _lowNoise;
        return expert.PredictAsync(z, context, cancellationToken);
    }
}
