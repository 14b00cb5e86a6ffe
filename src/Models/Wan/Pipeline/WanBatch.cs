using Loom.Models.Wan.Transformer;
using Loom.Sampling.Fields;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// Evaluates windows through one Wan transformer in a single forward pass: the conditional rows of every window, then
/// the unconditional rows of the guided ones, each row with its own timestep, text and (i2v) condition; then
/// <c>v = v_u + w (v_c - v_u)</c> per window. The in-process <see cref="WanVelocityField"/> and a shard hosting Wan both
/// go through here, so a window evaluated anywhere runs the same arithmetic.
/// </summary>
public static class WanBatch
{
    /// <summary>Velocities (float32, one new tensor per input, caller owns) on the inputs' device.</summary>
    /// <exception cref="ArgumentException">Inputs differ in shape, or a text embedding or condition does not fit the model.</exception>
    public static Tensor[] Evaluate(WanTransformer model, IReadOnlyList<WanWindowInput> inputs)
    {
        if (inputs.Count == 0)
        {
            return [];
        }
        GuidedBatch.RequireOneShape(inputs.Select(i => i.Latent), "[C, F, h, w]");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latents = new List<Tensor>();
        var contexts = new List<Tensor>();
        var conditions = new List<Tensor>();
        var timesteps = new List<double>();
        void AddRows(WanWindowInput input, Tensor text)
        {
            long b = input.Latent.shape[0];
            latents.Add(input.Latent.to(ScalarType.Float32));
            contexts.Add(Padded(model.Config, text).to(input.Latent.device).unsqueeze(0).expand(b, -1, -1));
            if (input.Condition is { } y)
            {
                conditions.Add(y.to(ScalarType.Float32).to(input.Latent.device).expand(b, -1, -1, -1, -1));
            }
            timesteps.AddRange(Enumerable.Repeat(input.Timestep, (int)b));
        }
        double[] guidance = inputs.Select(i => i.Guidance).ToArray();
        GuidedBatch.Layout(guidance, (i, conditional) => AddRows(inputs[i], conditional
            ? inputs[i].Prompt
            : inputs[i].Negative ?? throw new ArgumentException("a guided window needs the negative prompt's embedding.", nameof(inputs))));
        if (conditions.Count != 0 && conditions.Count != latents.Count)
        {
            throw new ArgumentException("either every window of a batch has an image condition or none has.", nameof(inputs));
        }
        using Tensor t = tensor(timesteps.ToArray(), ScalarType.Float64);
        Tensor output = model.Forward(cat(latents, 0), t, cat(contexts, 0), condition: conditions.Count == 0 ? null : cat(conditions, 0));

        Tensor[] velocities = GuidedBatch.Combine(output, inputs.Select(i => i.Latent.shape[0]).ToArray(), guidance);
        return velocities.Select(v => v.contiguous().clone().MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>A prompt's valid rows zero-padded to the model's text length (the model pads so itself: same bits).</summary>
    /// <exception cref="ArgumentException">Not <c>[&lt;= text_len, text_dim]</c>.</exception>
    public static Tensor Padded(WanTransformerConfig config, Tensor embedding)
    {
        if (embedding.dim() != 2 || embedding.shape[1] != config.TextDim || embedding.shape[0] > config.TextLen)
        {
            throw new ArgumentException($"text embedding [{string.Join(", ", embedding.shape)}] must be [<= {config.TextLen}, {config.TextDim}] for {config}.", nameof(embedding));
        }
        Tensor rows = embedding.to(ScalarType.Float32);
        long missing = config.TextLen - rows.shape[0];
        return missing == 0 ? rows : cat([rows, zeros([missing, config.TextDim], ScalarType.Float32, device: rows.device)]);
    }
}
