using Loom.Models.WorldModel;
using static TorchSharp.torch;

namespace Loom.Models.Tests;

public sealed class WorldModelBatchTests
{
    private static readonly WorldModelConfig Small = new(MaxFrames: 8, Height: 16, Width: 16, Patch: 8, Dim: 32, Depth: 2, Heads: 2);

    /// <summary>A model whose zero-initialised output layers are randomised, so its velocities are not all zero.</summary>
    private static PhysicsWorldModel RandomModel()
    {
        manual_seed(3);
        var model = new PhysicsWorldModel(Small);
        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters())
            {
                parameter.add_(randn_like(parameter) * 0.05);
            }
        }
        model.eval();
        return model;
    }

    [Fact]
    public void Windows_of_different_jobs_evaluated_in_one_batch_get_their_own_velocities_to_float_rounding()
    {
        using var model = RandomModel();
        using var scope = NewDisposeScope();
        manual_seed(4);
        Tensor given = WorldModelBatch.Conditioning(randn([1, 3, 6, 16, 16]), [true, true, false, false, false, false])!;
        var inputs = new[]
        {
            new WindowInput(randn([1, 3, 6, 16, 16]), 0.9, given, 1.0),
            new WindowInput(randn([1, 3, 6, 16, 16]), 0.4, null, 1.0),
            new WindowInput(randn([2, 3, 6, 16, 16]), 0.7, given, 3.0),
        };
        Tensor[] together = WorldModelBatch.Evaluate(model, inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            Tensor alone = WorldModelBatch.Evaluate(model, [inputs[i]])[0];
            Assert.Equal(inputs[i].Latent.shape, together[i].shape);
            // Not bit-identical: the kernels block differently for another batch size, which is why exact jobs are never batched.
            double difference = (alone - together[i]).abs().max().item<float>();
            Assert.True(difference < 1e-5, $"input {i} differs by {difference} when batched with others");
        }
        Assert.False(Bits.Same(together[0], together[1]), "different inputs must give different velocities");
    }

    [Fact]
    public void Guidance_is_the_unconditional_velocity_pushed_towards_the_conditional_one()
    {
        using var model = RandomModel();
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor z = randn([1, 3, 4, 16, 16]);
        Tensor given = WorldModelBatch.Conditioning(randn([1, 3, 4, 16, 16]), [true, true, false, false])!;
        Tensor conditional = WorldModelBatch.Evaluate(model, [new WindowInput(z, 0.5, given, 1.0)])[0];
        Tensor unconditional = WorldModelBatch.Evaluate(model, [new WindowInput(z, 0.5, null, 1.0)])[0];
        Tensor guided = WorldModelBatch.Evaluate(model, [new WindowInput(z, 0.5, given, 4.0)])[0];
        Tensor expected = unconditional + (conditional - unconditional) * 4.0;
        Assert.True(guided.allclose(expected, rtol: 1e-4, atol: 1e-5));
        Assert.False(conditional.allclose(unconditional), "the given frames must change the prediction");
    }
}
