using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using TorchSharp;

namespace Loom.Grains.Routing;

/// <summary>
/// A field evaluated in-process as a shard would evaluate it over the wire: the latent rounded to the job's
/// <see cref="WirePrecision"/> before <see cref="Inner"/> and the velocity after. A sampler over this field gives the
/// cluster's bits for the same job (the reference the cluster tests and benchmarks compare against).
/// </summary>
public sealed class WireRoundedField(IVelocityField inner, WirePrecision precision) : IVelocityField
{
    /// <summary>The field being wrapped.</summary>
    public IVelocityField Inner { get; } = inner;

    /// <inheritdoc />
    public async Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default)
    {
        using torch.Tensor sent = TensorBlock.Run(() => WireCodec.Round(z, precision).to(z.dtype));
        using Prediction prediction = await Inner.PredictAsync(sent, context, cancellationToken).ConfigureAwait(false);
        torch.Tensor received = TensorBlock.Run(() => WireCodec.Round(prediction.Velocity, precision).to(z.dtype));
        return new Prediction(received, prediction.Evaluations, prediction.SkippedEvaluations);
    }
}
