using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Contracts.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace Loom.Grains.Resilience;

/// <summary>
/// Every Polly pipeline of a silo, registered once through the resilience DI (<c>AddResiliencePipeline</c>) and resolved
/// by key from <see cref="ResiliencePipelineProvider{TKey}"/>. Registered so, each one reports to Polly's telemetry: the
/// <c>Polly</c> meter (retries, timeouts, breaker transitions, tagged with <c>pipeline.name</c> and, for shards,
/// <c>pipeline.instance</c>), exported on <c>/metrics</c>, and its event logs.
/// </summary>
public static class LoomPipelines
{
    /// <summary>
    /// State, checkpoint, result and index writes ride out a storage blip (a Redis restart) of about half a minute. A
    /// write based on a stale read (<see cref="InconsistentStateException"/>) and corrupt data (<see cref="InvalidDataException"/>)
    /// are not retried: they would fail again; nor is a full disk (<see cref="StorageFullException"/>): it is reported at once.
    /// </summary>
    public static LoomPipelineKey Storage { get; } = new("loom-storage");

    /// <summary>One window evaluation: attempts on different shards (<see cref="LoomEvaluationOptions.EvaluationAttempts"/>), exponential backoff.</summary>
    public static LoomPipelineKey Evaluation { get; } = new("loom-evaluation");

    /// <summary>The name of the per-shard pipelines: a circuit breaker around a timeout derived from the shard's measured latency.</summary>
    public const string ShardName = "loom-shard";

    /// <summary>What an evaluation calls on each of its retries (the job's counters count them).</summary>
    public static ResiliencePropertyKey<Action> RetryObserved { get; } = new("loom.retry-observed");

    /// <summary>
    /// The timeout of one attempt at a shard, chosen by the router when it picks the shard (from the shard's measured
    /// latency); without it, <see cref="LoomEvaluationOptions.EvaluationTimeout"/>.
    /// </summary>
    public static ResiliencePropertyKey<TimeSpan> AttemptTimeout { get; } = new("loom.attempt-timeout");

    /// <summary>The pipeline of <paramref name="shardId"/>'s calls.</summary>
    public static LoomPipelineKey Shard(string shardId) => new(ShardName, shardId);

    /// <summary>Registers the pipelines (and the state of the shards' breakers, <see cref="ShardBreakers"/>).</summary>
    public static IServiceCollection AddLoomResilience(this IServiceCollection services)
    {
        services.AddSingleton<ShardBreakers>();
        services.AddResiliencePipelineRegistry<LoomPipelineKey>(o =>
        {
            o.BuilderComparer = LoomPipelineKey.ByName;
            o.BuilderNameFormatter = k => k.Name;
            o.InstanceNameFormatter = k => k.Instance;
        });
        services.AddResiliencePipeline(Storage, builder => builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 12,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(4),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or InconsistentStateException or InvalidDataException or CorruptStateException or StaleCheckpointException) && !StorageFullException.IsDiskFull(e)),
        }));
        services.AddResiliencePipeline(Evaluation, (builder, context) =>
        {
            LoomEvaluationOptions options = context.ServiceProvider.GetRequiredService<IOptions<LoomEvaluationOptions>>().Value;
            LoomMetrics metrics = context.ServiceProvider.GetRequiredService<LoomMetrics>();
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, options.EvaluationAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(4),
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or InvalidJobSpecException)),
                OnRetry = args =>
                {
                    metrics.EvalRetries.Inc();
                    if (args.Context.Properties.TryGetValue(RetryObserved, out Action? observed))
                    {
                        observed();
                    }
                    return ValueTask.CompletedTask;
                },
            });
        });
        services.AddResiliencePipeline(new LoomPipelineKey(ShardName), (builder, context) =>
        {
            string shardId = context.PipelineKey.Instance;
            TimeSpan ceiling = context.ServiceProvider.GetRequiredService<IOptions<LoomEvaluationOptions>>().Value.EvaluationTimeout;
            builder
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 3,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(10),
                    StateProvider = context.ServiceProvider.GetRequiredService<ShardBreakers>().For(shardId),
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or ConditioningMissingException or InvalidJobSpecException)),
                })
                // Inside the breaker, so a hung shard's timeouts trip it; derived from the shard's measured latency.
                .AddTimeout(new TimeoutStrategyOptions
                {
                    TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.TryGetValue(AttemptTimeout, out TimeSpan timeout) ? timeout : ceiling),
                });
        });
        return services;
    }
}
