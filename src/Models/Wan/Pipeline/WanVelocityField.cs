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
    private readonly Tensor _contexts;
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
        Tensor[] rows = IsGuided ? [Padded(prompt), Padded(negative)] : [Padded(prompt)];
        _contexts = stack(rows).DetachFromDisposeScope();
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
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long b = z.shape[0];
        int branches = IsGuided ? 2 : 1;
        Tensor x = z.to(ScalarType.Float32);
        Tensor batch = branches == 1 ? x : cat([x, x]);
        // Rows [0, B) conditional, [B, 2B) unconditional.
        Tensor contexts = _contexts.to(z.device).repeat_interleave(b, 0);
        Tensor? condition = _condition?.to(z.device).expand(branches * b, -1, -1, -1, -1);
        using Tensor t = tensor(new[] { timestep }, ScalarType.Float64);
        Tensor output = _model.Forward(batch, t, contexts, condition: condition);
        if (branches == 1)
        {
            return output.MoveToOuterDisposeScope();
        }
        Tensor cond = output.narrow(0, 0, b), uncond = output.narrow(0, b, b);
        using Scalar w = Guidance.ToScalar();
        return HeldScalars.Add(uncond, HeldScalars.Sub(cond, uncond).mul(w)).MoveToOuterDisposeScope();
    }

    /// <summary>A prompt's valid rows zero-padded to the model's text length (the model pads so itself: same bits).</summary>
    private Tensor Padded(Tensor embedding)
    {
        WanTransformerConfig c = _model.Config;
        if (embedding.dim() != 2 || embedding.shape[1] != c.TextDim || embedding.shape[0] > c.TextLen)
        {
            throw new ArgumentException($"text embedding [{string.Join(", ", embedding.shape)}] must be [<= {c.TextLen}, {c.TextDim}] for {c}.", nameof(embedding));
        }
        Tensor rows = embedding.to(ScalarType.Float32);
        long missing = c.TextLen - rows.shape[0];
        return missing == 0 ? rows : cat([rows, zeros([missing, c.TextDim], ScalarType.Float32)]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _contexts.Dispose();
        _condition?.Dispose();
    }
}
