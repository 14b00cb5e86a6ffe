using Loom.Models.Wan.Transformer;
using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// One Wan transformer as a velocity field over a latent (or a window of one) <c>[B, 16, F, h, w]</c>, with
/// classifier-free guidance <c>v = v_u + w (v_c - v_u)</c> when <c>w &gt; 1</c>: the conditional and unconditional
/// branches run as one batch of 2B in a single forward pass. The model sees the step's timestep
/// (<see cref="StepContext.Timestep"/>: the schedule's, an integer for Wan). Image-to-video models also get the
/// condition <c>y</c> (mask and image latent) of the same frames. Wan predicts <c>noise - x0</c>, the sampler's velocity.
/// </summary>
public sealed class WanVelocityField : IVelocityField, IDisposable
{
    private readonly WanTransformer _model;
    private readonly Tensor _prompt;
    private readonly Tensor _negative;
    private readonly Tensor? _condition;
    private readonly object _gate;
    private readonly Action<StepContext, string>? _onEvaluate;

    /// <summary>A field over <paramref name="model"/> for one prompt pair.</summary>
    /// <param name="model">The transformer (shared; calls are serialised on <paramref name="gate"/>).</param>
    /// <param name="name">Which transformer this is (reported to <paramref name="onEvaluate"/>).</param>
    /// <param name="prompt">Embedding of the prompt's valid tokens <c>[L, text_dim]</c>; copied.</param>
    /// <param name="negative">Embedding of the negative prompt <c>[L', text_dim]</c>; copied.</param>
    /// <param name="guidance">Guidance scale; at most 1 evaluates the conditional branch only.</param>
    /// <param name="condition">Image-to-video: <c>y</c> for the same frames <c>[1, 20, F, h, w]</c>; copied. Null for text-to-video.</param>
    /// <param name="gate">Serialises forward passes of the transformer.</param>
    /// <param name="onEvaluate">Told of every prediction asked of this field.</param>
    public WanVelocityField(
        WanTransformer model, string name, Tensor prompt, Tensor negative, double guidance, Tensor? condition, object gate, Action<StepContext, string>? onEvaluate = null)
    {
        if (!double.IsFinite(guidance) || guidance < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(guidance), guidance, "guidance must be a finite number >= 0.");
        }
        if (model.Config.IsImageToVideo != condition is not null)
        {
            throw new ArgumentException(model.Config.IsImageToVideo ? "an i2v transformer needs the condition y." : "a t2v transformer takes no condition.", nameof(condition));
        }
        _model = model;
        Name = name;
        Guidance = guidance;
        _gate = gate;
        _onEvaluate = onEvaluate;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _prompt = WanBatch.Padded(model.Config, prompt).clone().DetachFromDisposeScope();
        _negative = WanBatch.Padded(model.Config, negative).clone().DetachFromDisposeScope();
        _condition = condition?.to(ScalarType.Float32).clone().DetachFromDisposeScope();
    }

    /// <summary>Which transformer this is.</summary>
    public string Name { get; }

    /// <summary>The guidance scale.</summary>
    public double Guidance { get; }

    /// <summary>True when both branches are evaluated (w &gt; 1).</summary>
    public bool IsGuided => Guidance > 1.0;

    /// <inheritdoc />
    public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _onEvaluate?.Invoke(context, Name);
        Tensor velocity;
        lock (_gate)
        {
            velocity = Evaluate(z, context.Timestep);
        }
        return Task.FromResult(new Prediction(velocity, IsGuided ? 2 : 1));
    }

    private Tensor Evaluate(Tensor z, double timestep)
    {
        var input = new WanWindowInput(z, timestep, _prompt, IsGuided ? _negative : null, Guidance, _condition);
        return WanBatch.Evaluate(_model, [input])[0];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _prompt.Dispose();
        _negative.Dispose();
        _condition?.Dispose();
    }
}
