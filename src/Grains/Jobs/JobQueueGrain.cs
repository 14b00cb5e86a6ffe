using Loom.Contracts.Jobs;
using Loom.Grains.Storage;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Loom.Grains.Jobs;

/// <summary>
/// Admission by priority and the keep-alive of running jobs (see <see cref="IJobQueueGrain"/>). Reentrant: a call
/// changes the queue in one turn, then waits for a write of it that calls arriving meanwhile share
/// (<see cref="CoalescedWrites"/>). One at a time, 64 submissions at once waited for 64 writes in turn and the last was
/// accepted 0.7-0.8 s after the first; a job is started only once a write holding its admission is stored.
/// </summary>
[Reentrant]
public sealed class JobQueueGrain : Grain, IJobQueueGrain
{
    /// <summary>The cluster's one queue.</summary>
    public const string Key = "default";

    private readonly IPersistentState<JobQueueState> _state;
    private readonly IOptions<LoomJobOptions> _options;
    private readonly CoalescedWrites _writes;

    /// <summary>The queue over its persisted state.</summary>
    public JobQueueGrain([PersistentState("queue", "jobs")] IPersistentState<JobQueueState> state, IOptions<LoomJobOptions> options)
    {
        _state = state;
        _options = options;
        _writes = new CoalescedWrites(() => state.WriteStateAsync());
    }

    /// <inheritdoc />
    public async Task EnqueueAsync(string jobId, int priority)
    {
        JobQueueState s = _state.State;
        if (s.Running.Contains(jobId) || s.Waiting.Any(e => e.JobId == jobId))
        {
            await _writes.StoredAsync(); // it may have been queued by a call whose write is still in flight
            return;
        }
        s.Waiting.Add(new QueueEntry(jobId, priority, s.NextSequence++));
        await AdmitAsync(changed: true);
    }

    /// <inheritdoc />
    public async Task FinishedAsync(string jobId)
    {
        bool changed = _state.State.Running.Remove(jobId) | _state.State.Waiting.RemoveAll(e => e.JobId == jobId) > 0;
        _state.State.AdmissionOrders.Remove(jobId);
        await AdmitAsync(changed);
    }

    /// <inheritdoc />
    public async Task TickAsync()
    {
        await AdmitAsync(changed: false);
        foreach (string jobId in _state.State.Running.ToArray()) // a copy: calls interleave at each await
        {
            await GrainFactory.GetGrain<IRenderJobGrain>(jobId).EnsureRunningAsync(_state.State.AdmissionOrders.GetValueOrDefault(jobId));
        }
    }

    /// <inheritdoc />
    public async Task SetPausedAsync(bool paused)
    {
        _state.State.Paused = paused;
        await AdmitAsync(changed: true);
    }

    /// <inheritdoc />
    public Task<QueueInfo> GetInfoAsync()
        => Task.FromResult(new QueueInfo(_state.State.Waiting.Count, _state.State.Running.ToArray(), _state.State.Paused, _state.State.Admitted));

    private async Task AdmitAsync(bool changed)
    {
        JobQueueState s = _state.State;
        var admitted = new List<(string JobId, long Order)>();
        while (!s.Paused && s.Running.Count < _options.Value.MaxRunningJobs && s.Waiting.Count > 0)
        {
            QueueEntry next = s.Waiting.Aggregate((best, e) => e.RunsBefore(best) ? e : best);
            s.Waiting.Remove(next);
            s.Running.Add(next.JobId);
            admitted.Add((next.JobId, ++s.Admitted));
            s.AdmissionOrders[next.JobId] = s.Admitted;
        }
        // A call that changed nothing still waits for what others changed: a tick pokes running jobs, and a job must not
        // start before the write holding its admission is stored.
        await (changed || admitted.Count > 0 ? _writes.WriteAsync() : _writes.StoredAsync());
        foreach (var (jobId, order) in admitted)
        {
            await GrainFactory.GetGrain<IRenderJobGrain>(jobId).StartAsync(order);
        }
    }
}
