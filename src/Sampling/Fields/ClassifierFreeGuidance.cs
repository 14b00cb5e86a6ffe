using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Classifier-free guidance: <c>v = v_uncond + w (v_cond - v_uncond)</c>. With <c>w &lt;= 1</c> guidance is off
/// and only the conditional field is evaluated.
/// </summary>
public sealed class ClassifierFreeGuidance : IVelocityField
{
    private readonly IVelocityField _conditional;
    private readonly IVelocityField _unconditional;

    /// <summary>Guides <paramref name="conditional"/> away from <paramref name="unconditional"/> with scale <paramref name="scale"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">scale is NaN, infinite or negative.</exception>
    public ClassifierFreeGuidance(IVelocityField conditional, IVelocityField unconditional, double scale)
    {
        if (!double.IsFinite(scale) || scale < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "guidance scale must be a finite number >= 0.");
        }
        _conditional = conditional;
        _unconditional = unconditional;
        Scale = scale;
    }

    /// <summary>Guidance scale w.</summary>
    public double Scale { get; }

    /// <summary>True when both branches are evaluated (w &gt; 1).</summary>
    public bool IsActive => Scale > 1.0;

    /// <inheritdoc />
    public async Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        if (!IsActive)
        {
            return await _conditional.PredictAsync(z, context, cancellationToken).ConfigureAwait(false);
        }

        Task<Prediction> condTask = _conditional.PredictAsync(z, context, cancellationToken);
        Task<Prediction> uncondTask = _unconditional.PredictAsync(z, context, cancellationToken);
        try
        {
            await Task.WhenAll(condTask, uncondTask).ConfigureAwait(false);
        }
        catch
        {
            DisposeCompleted(condTask);
            DisposeCompleted(uncondTask);
            throw;
        }

        using Prediction cond = condTask.Result;
        using Prediction uncond = uncondTask.Result;
        torch.Tensor guided = TensorBlock.Run(() =>
        {
            using var w = Scale.ToScalar();
            return HeldScalars.Add(uncond.Velocity, HeldScalars.Sub(cond.Velocity, uncond.Velocity).mul(w));
        });
        return new Prediction(
            guided,
            cond.Evaluations + uncond.Evaluations,
            cond.SkippedEvaluations + uncond.SkippedEvaluations);
    }

    private static void DisposeCompleted(Task<Prediction> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.Result.Dispose();
        }
    }
}
