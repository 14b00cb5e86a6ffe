using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Sampling.Windows;

/// <summary>Evaluates each window in this process with the velocity field made for it.</summary>
/// <param name="fieldFor">The field that sees only a window's frames (created once per window and reused).</param>
public sealed class FieldWindowEvaluator(Func<TemporalWindow, IVelocityField> fieldFor) : IWindowEvaluator
{
    private readonly Dictionary<TemporalWindow, IVelocityField> _fields = [];

    /// <inheritdoc />
    public Task<Prediction> EvaluateAsync(TemporalWindow window, torch.Tensor windowLatent, StepContext context, CancellationToken cancellationToken = default)
    {
        IVelocityField field;
        lock (_fields)
        {
            if (!_fields.TryGetValue(window, out field!))
            {
                field = fieldFor(window);
                _fields[window] = field;
            }
        }
        return field.PredictAsync(windowLatent, context, cancellationToken);
    }
}
