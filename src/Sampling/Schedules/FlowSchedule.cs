namespace Loom.Sampling.Schedules;

/// <summary>
/// The noise levels of a flow-matching sampler: sigma runs from 1 (pure noise) to 0 (data) in <see cref="Steps"/>
/// Euler steps; the model sees timestep <see cref="Timestep"/> (<c>1000 * sigma</c>, floored to an integer for Wan).
/// </summary>
public sealed class FlowSchedule
{
    /// <summary>Number of training timesteps the models were trained with (Wan, diffusers: 1000).</summary>
    public const int TrainTimesteps = 1000;

    private readonly double[] _sigmas;

    private FlowSchedule(int steps, double shift, ScheduleKind kind, double[] sigmas)
    {
        Steps = steps;
        Shift = shift;
        Kind = kind;
        _sigmas = sigmas;
    }

    /// <summary>Number of outer (Euler) steps N.</summary>
    public int Steps { get; }

    /// <summary>The shift k in <c>s' = k s / (1 + (k - 1) s)</c>.</summary>
    public double Shift { get; }

    /// <summary>How the unshifted sigmas were spaced.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>N + 1 sigmas: <c>Sigmas[0]</c> is where sampling starts, <c>Sigmas[N]</c> is 0.</summary>
    public IReadOnlyList<double> Sigmas => _sigmas;

    /// <summary>Sigma at which step <paramref name="step"/> evaluates the model.</summary>
    public double Sigma(int step) => _sigmas[step];

    /// <summary>Sigma that step <paramref name="step"/> moves the latent to.</summary>
    public double NextSigma(int step) => _sigmas[step + 1];

    /// <summary>
    /// Timestep passed to the model at step <paramref name="step"/>: <c>1000 * sigma</c>, truncated to an integer for
    /// <see cref="ScheduleKind.Wan"/> (the official pipelines pass int64 timesteps).
    /// </summary>
    public double Timestep(int step) => Kind == ScheduleKind.Wan ? Math.Floor(TrainTimesteps * _sigmas[step]) : TrainTimesteps * _sigmas[step];

    /// <summary>Builds a schedule of <paramref name="steps"/> steps with shift <paramref name="shift"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">steps &lt; 1 or &gt; 10000, or shift not a positive finite number.</exception>
    public static FlowSchedule Create(int steps, double shift = 1.0, ScheduleKind kind = ScheduleKind.Uniform)
    {
        if (steps < 1 || steps > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be between 1 and 10000.");
        }
        if (!double.IsFinite(shift) || shift <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "shift must be a positive finite number.");
        }

        var sigmas = new double[steps + 1];
        switch (kind)
        {
            case ScheduleKind.Wan:
                // The official schedulers' sigma_max is 1 - 1/1000: a linspace from it to 0 over N + 1 points, last dropped.
                const double sigmaMax = 1.0 - 1.0 / TrainTimesteps;
                for (int i = 0; i < steps; i++)
                {
                    sigmas[i] = ApplyShift(sigmaMax * (1.0 - (double)i / steps), shift);
                }
                break;
            case ScheduleKind.Uniform:
                for (int i = 0; i < steps; i++)
                {
                    sigmas[i] = ApplyShift(1.0 - (double)i / steps, shift);
                }
                break;
            case ScheduleKind.DiffusersEuler:
                // diffusers keeps its training sigmas in float32; its smallest one bounds the inference range.
                double sigmaMin = (float)ApplyShift((float)(1.0f / TrainTimesteps), shift);
                for (int i = 0; i < steps; i++)
                {
                    double unshifted = steps == 1 ? 1.0 : 1.0 + (sigmaMin - 1.0) * i / (steps - 1);
                    sigmas[i] = (float)ApplyShift(unshifted, shift);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule kind.");
        }
        sigmas[steps] = 0.0;
        return new FlowSchedule(steps, shift, kind, sigmas);
    }

    /// <summary>The timestep shift used by SD3, Flux and Wan: <c>k s / (1 + (k - 1) s)</c>.</summary>
    public static double ApplyShift(double sigma, double shift) => shift * sigma / (1.0 + (shift - 1.0) * sigma);

    /// <inheritdoc />
    public override string ToString() => $"{Kind} schedule, {Steps} steps, shift {Shift}";
}
