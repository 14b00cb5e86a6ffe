using Loom.Contracts.Jobs;
using Microsoft.Extensions.Options;

namespace Loom.Grains.Jobs;

/// <summary>Admission by priority and the keep-alive of running jobs (see <see cref="IJobQueueGrain"/>).</summary>
public sealed class JobQueueGrain(
    [PersistentState("queue", "jobs")] IPersistentState<JobQueueState> state,
    IOptions<LoomJobOptions> options) : Grain, IJobQueueGrain
{
    /// <summary>The cluster's one queue.</summary>
    public const string Key = "default";

    /// <inheritdoc />
    public async Task EnqueueAsync(string jobId, int priority)
    {
        JobQueueState s = state.State;
        if (s.Running.Contains(jobId) || s.Waiting.Any(e => e.JobId == jobId))
        {
            return;
        }
        s.Waiting.Add(new QueueEntry(jobId, priority, s.NextSequence++));
        await AdmitAsync(changed: true);
    }

    /// <inheritdoc />
    public async Task FinishedAsync(string jobId)
    {
        bool changed = state.State.Running.Remove(jobId) | state.State.Waiting.RemoveAll(e => e.JobId == jobId) > 0;
        state.State.AdmissionOrders.Remove(jobId);
        await AdmitAsync(changed);
    }

    /// <inheritdoc />
    public async Task TickAsync()
    {
        await AdmitAsync(changed: false);
        foreach (string jobId in state.State.Running)
        {
            await GrainFactory.GetGrain<IRenderJobGrain>(jobId).EnsureRunningAsync(state.State.AdmissionOrders.GetValueOrDefault(jobId));
        }
    }

    /// <inheritdoc />
    public async Task SetPausedAsync(bool paused)
    {
        state.State.Paused = paused;
        await AdmitAsync(changed: true);
    }

    /// <inheritdoc />
    public Task<QueueInfo> GetInfoAsync()
        => Task.FromResult(new QueueInfo(state.State.Waiting.Count, state.State.Running.ToArray(), state.State.Paused, state.State.Admitted));

    private async Task AdmitAsync(bool changed)
    {
        JobQueueState s = state.State;
        var admitted = new List<(string JobId, long Order)>();
        while (!s.Paused && s.Running.Count < options.Value.MaxRunningJobs && s.Waiting.Count > 0)
        {
            QueueEntry next = s.Waiting.Aggregate((best, e) => e.RunsBefore(best) ? e : best);
            s.Waiting.Remove(next);
            s.Running.Add(next.JobId);
            admitted.Add((next.JobId, ++s.Admitted));
            s.AdmissionOrders[next.JobId] = s.Admitted;
        }
        if (changed || admitted.Count > 0)
        {
            await state.WriteStateAsync();
        }
        foreach (var (jobId, order) in admitted)
        {
            await GrainFactory.GetGrain<IRenderJobGrain>(jobId).StartAsync(order);
        }
    }
}
