using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

/// <summary>A velocity field defined by an elementwise function; records every context it is asked at.</summary>
internal sealed class FunctionField(Func<Tensor, double, Tensor> velocity) : IVelocityField
{
    private readonly List<StepContext> _calls = [];

    public IReadOnlyList<StepContext> Calls
    {
        get
        {
            lock (_calls)
            {
                return _calls.ToList();
            }
        }
    }

    /// <summary>v = a z + b: x0 and the Euler step are linear in z, so results can be worked out by hand.</summary>
    public static FunctionField Linear(double a, double b) => new((z, _) => a * z + b);

    /// <summary>A nonlinear field whose prediction of x0 depends on the noise draw, so P&amp;P changes things.</summary>
    public static FunctionField Nonlinear() => new((z, s) => z - 1.5 * tanh(2.0 * z) * (1.0 - 0.5 * s));

    public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        lock (_calls)
        {
            _calls.Add(context with { CertainCells = null });
        }
        Tensor v = TensorBlock.Run(() => velocity(z, context.Sigma));
        return Task.FromResult(new Prediction(v, 1));
    }
}
