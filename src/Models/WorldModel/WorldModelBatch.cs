using Loom.Sampling.Fields;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>
/// Evaluates several window inputs of one shape in a single forward pass: conditional rows of every input, then the
/// unconditional rows of the guided ones, and guidance <c>v = v_u + w (v_c - v_u)</c> per input. The in-process
/// sampler and a GPU shard both go through here, so a window evaluated anywhere runs the same arithmetic.
/// </summary>
public static class WorldModelBatch
{
    /// <summary>Conditioning planes (3 clean RGB + 1 "given" flag).</summary>
    public const int ConditioningChannels = WorldModelConfig.Channels + 1;

    /// <summary>
    /// Velocities for <paramref name="inputs"/>, one new tensor each (caller owns), shaped as each latent, on the inputs'
    /// device (the model must be there too): every tensor made here is made on it.
    /// </summary>
    /// <exception cref="ArgumentException">Inputs differ in window shape or device.</exception>
    public static Tensor[] Evaluate(PhysicsWorldModel model, IReadOnlyList<WindowInput> inputs)
    {
        if (inputs.Count == 0)
        {
            return [];
        }
        GuidedBatch.RequireOneShape(inputs.Select(i => i.Latent), "[3, L, H, W]");
        long[] cellShape = inputs[0].Latent.shape[1..];
        Device device = inputs[0].Latent.device;
        if (inputs.Any(i => i.Latent.device_type != device.type || i.Latent.device_index != device.index
            || (i.Conditioning is { } c && (c.device_type != device.type || c.device_index != device.index))))
        {
            throw new ArgumentException($"inputs of one batch must all be on one device ({device}).", nameof(inputs));
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long[] planes = [ConditioningChannels, .. cellShape[1..]];
        var latents = new List<Tensor>();
        var sigmas = new List<float>();
        var conditions = new List<Tensor>();
        void AddRows(WindowInput input, bool conditional)
        {
            long b = input.Latent.shape[0];
            latents.Add(input.Latent.to(ScalarType.Float32));
            sigmas.AddRange(Enumerable.Repeat((float)input.Sigma, (int)b));
            conditions.Add(conditional && input.Conditioning is not null
                ? input.Conditioning.to(ScalarType.Float32).expand([b, .. planes])
                : zeros([b, .. planes], device: device));
        }
        double[] guidance = inputs.Select(i => i.Guidance).ToArray();
        GuidedBatch.Layout(guidance, (i, conditional) => AddRows(inputs[i], conditional));
        Tensor output = model.forward(cat(latents, 0), tensor(sigmas.ToArray(), device: device), cat(conditions, 0));

        Tensor[] velocities = GuidedBatch.Combine(output, inputs.Select(i => i.Latent.shape[0]).ToArray(), guidance);
        return velocities.Select((v, i) => v.to(inputs[i].Latent.dtype).contiguous().clone().MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>
    /// Conditioning planes for frames given clean: <paramref name="clean"/> <c>[b, 3, L, H, W]</c> where
    /// <paramref name="given"/> is true, zero elsewhere, plus the 0/1 "given" plane, on <paramref name="clean"/>'s device;
    /// null when no frame is given.
    /// </summary>
    public static Tensor? Conditioning(Tensor clean, IReadOnlyList<bool> given)
    {
        if (!given.Any(g => g))
        {
            return null;
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long frames = given.Count;
        Tensor mask = tensor(given.ToArray(), device: clean.device).to(ScalarType.Float32).reshape(1, 1, frames, 1, 1);
        Tensor masked = clean.to(ScalarType.Float32) * mask;
        long[] planeShape = (long[])masked.shape.Clone();
        planeShape[1] = 1;
        return cat([masked, mask.expand(planeShape)], 1).MoveToOuterDisposeScope();
    }
}
