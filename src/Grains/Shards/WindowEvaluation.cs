using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>
/// The request a window's evaluation sends a shard and its velocity read back, in one place: a job-owned window
/// (<c>ShardWindowField</c>) and a resident one (<see cref="ResidentWindows"/>) give the shard the same bytes, which is
/// what makes the two give the same bits.
/// </summary>
public static class WindowEvaluation
{
    /// <summary>The request for input <paramref name="z"/> (<c>[B, C, L, ...]</c>) of the window starting at <paramref name="windowStart"/>, in the job's wire precision.</summary>
    public static WindowRequest Request(
        string jobId, JobSpec spec, int windowStart, torch.Tensor z, StepContext context, double guidance, string? expert, string? conditioningKey, WindowConditioning? conditioning)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(z);
        return new WindowRequest(jobId, spec.Model, spec.Priority, spec.Exact, context.Step, context.Iteration, context.Sigma, guidance,
            z.shape, WireCodec.Encode(z, spec.Wire), conditioningKey, conditioning, context.Timestep, windowStart, expert);
    }

    /// <summary>The velocity of <paramref name="result"/> as a tensor of <paramref name="z"/>'s shape and type (owned by the caller).</summary>
    public static torch.Tensor Velocity(WindowResult result, torch.Tensor z)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(z);
        return TensorBlock.Run(() => result.Velocity.ToTensor(z.shape).to(z.dtype));
    }
}
