using System.Diagnostics;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;

namespace Loom.Grains.Routing;

/// <summary>
/// One window of one job as a velocity field whose predictions are made on shards. The window's given frames are
/// hashed once; shards receive them the first time and keep them by that key.
/// </summary>
public sealed class ShardWindowField : IVelocityField
{
    private readonly string _jobId;
    private readonly JobSpec _spec;
    private readonly ShardRouter _router;
    private readonly JobCounters _counters;
    private readonly WindowConditioning? _conditioning;
    private readonly string? _conditioningKey;
    private readonly Func<double, double>? _guidanceAt;
    private readonly Func<double, string>? _expertAt;
    private string? _home;

    /// <summary>
    /// A field for <paramref name="window"/> of job <paramref name="jobId"/>, conditioned on <paramref name="given"/> and,
    /// for a latent-space job, on <paramref name="inputs"/>' tensors.
    /// </summary>
    public ShardWindowField(string jobId, JobSpec spec, TemporalWindow window, FrameConditioning? given, ShardRouter router, JobCounters counters, WindowInputs? inputs = null)
    {
        _jobId = jobId;
        _spec = spec;
        Window = window;
        _router = router;
        _counters = counters;
        (_conditioning, _conditioningKey) = Conditioning(given, inputs);
        _guidanceAt = inputs?.GuidanceAt;
        _expertAt = inputs?.ExpertAt;
    }

    /// <summary>What a shard is sent to condition a window on: the given frames inside it and a Wan job's encoded inputs, with its key; nulls when none.</summary>
    public static (WindowConditioning? Conditioning, string? Key) Conditioning(FrameConditioning? given, WindowInputs? inputs)
    {
        WindowConditioning? conditioning = null;
        if (given is { Any: true })
        {
            conditioning = new WindowConditioning(WireCodec.ToBytes(given.Clean), given.Given.ToArray());
        }
        if (inputs is not null)
        {
            conditioning = new WindowConditioning(conditioning?.Clean ?? [], conditioning?.Given ?? [], [.. inputs.Tensors]);
        }
        return (conditioning, conditioning?.Key());
    }

    /// <summary>The window this field evaluates.</summary>
    public TemporalWindow Window { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Returns at once and does the work on a pool thread: the sampler asks for a step's windows one after another, and
    /// encoding a window and (for a shard on another silo) serialising it cost about a millisecond each, which done in
    /// turn delayed the last window of every step by their sum (16 windows: 33 ms a round in one silo, 125 ms across 4).
    /// </remarks>
    public Task<Prediction> PredictAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken = default)
        => Task.Run(() => PredictHereAsync(z, context, cancellationToken), cancellationToken);

    private async Task<Prediction> PredictHereAsync(torch.Tensor z, StepContext context, CancellationToken cancellationToken)
    {
        LoomMetrics metrics = _router.Metrics;
        long roundStarted = _counters.RoundBegin();
        try
        {
            long started = Stopwatch.GetTimestamp();
            WindowRequest request = WindowEvaluation.Request(
                _jobId, _spec, Window.Start, z, context, _guidanceAt?.Invoke(context.Timestep) ?? _spec.Guidance, _expertAt?.Invoke(context.Timestep), _conditioningKey, null);
            metrics.Phase(StepPhase.Encode, started);
            WindowResult result = await _router.EvaluateAsync(request, _conditioning, _counters, cancellationToken, _home).ConfigureAwait(false);
            _home = result.ShardId;
            _counters.Shards.AddOrUpdate(result.ShardId, 1, (_, n) => n + 1);
            _counters.Evaluated(Window.Index, result.Evaluations);
            started = Stopwatch.GetTimestamp();
            torch.Tensor velocity = WindowEvaluation.Velocity(result, z);
            metrics.Phase(StepPhase.Decode, started);
            return new Prediction(velocity, result.Evaluations);
        }
        finally
        {
            if (_counters.RoundEnd() is true)
            {
                metrics.Phase(StepPhase.Rounds, roundStarted);
            }
        }
    }
}
