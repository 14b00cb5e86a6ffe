using Loom.Contracts.Storage;
using Orleans.Storage;
using Polly;
using Polly.Retry;

namespace Loom.Grains.Storage;

/// <summary>Resilience for storage and bookkeeping calls, defined once.</summary>
public static class StoragePolicies
{
    /// <summary>
    /// State, checkpoint, result and index writes ride out a storage blip (a Redis restart) of about half a minute. A
    /// write based on a stale read (<see cref="InconsistentStateException"/>) and corrupt data (<see cref="InvalidDataException"/>)
    /// are not retried: they would fail again; nor is a full disk (<see cref="StorageFullException"/>): it is reported at once.
    /// </summary>
    public static ResiliencePipeline Retry { get; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 12,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(4),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or InconsistentStateException or InvalidDataException or CorruptStateException or StaleCheckpointException) && !StorageFullException.IsDiskFull(e)),
        })
        .Build();
}
