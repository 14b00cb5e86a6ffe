using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Sampling.Windows;
using TorchSharp;

namespace Loom.Grains.Jobs;

/// <summary>A job's windows resident on shards, as its <see cref="ResidentCoDenoise"/> coordinator sees them; disposing closes them.</summary>
public sealed class ResidentShardWindows : IResidentPlacement
{
    private readonly IGrainFactory _grains;
    private readonly ShardRouter _router;
    private readonly ShardLatencies _rounds;
    private readonly LoomMetrics _metrics;
    private readonly Action<IReadOnlyList<string>> _closed;
    private int _disposed;

    internal ResidentShardWindows(
        IGrainFactory grains, ShardRouter router, ResidentJob job, JobRecipe recipe, string[] placement, JobCounters counters, ShardLatencies rounds, Action<IReadOnlyList<string>> closed)
    {
        (_grains, _router, _rounds, Job, Recipe, Placement, Counters, _metrics, _closed) = (grains, router, rounds, job, recipe, placement, counters, router.Metrics, closed);
        Windows = recipe.Windows.Windows.Select(w => (IResidentWindow)new Remote(this, w)).ToArray();
    }

    /// <summary>The windows, in plan order.</summary>
    public IReadOnlyList<IResidentWindow> Windows { get; }

    /// <summary>Each window's shard.</summary>
    public IReadOnlyList<string> Placement { get; }

    /// <summary>The job and its loop's epoch.</summary>
    internal ResidentJob Job { get; }

    /// <summary>The job.</summary>
    internal JobRecipe Recipe { get; }

    /// <summary>The run's counts.</summary>
    internal JobCounters Counters { get; }

    /// <inheritdoc />
    public async Task<bool> ShouldMoveAsync(CancellationToken cancellationToken)
    {
        ShardInfo[] shards = await _router.ShardsAsync(cancellationToken).ConfigureAwait(false);
        return shards.Any(s => s.Draining && Placement.Contains(s.ShardId, StringComparer.Ordinal));
    }

    /// <summary>
    /// Calls window <paramref name="what"/>'s shard <paramref name="shardId"/>, bounded by the timeout derived from the
    /// rounds measured (the ceiling when the shard does not hold the model, <paramref name="held"/> false). A call that
    /// outlives it means a silo is likely hung (stopped, not yet declared dead): the placement's silos that do not answer
    /// are passed over, and the step fails, so the job resumes from its checkpoint on shards that answer.
    /// </summary>
    /// <exception cref="TimeoutException">The call outlived its timeout.</exception>
    private async Task<T> BoundedAsync<T>(string shardId, bool held, Func<IShardGrain, CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        TimeSpan timeout = _rounds.TimeoutFor(shardId, held);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            return await call(_grains.GetGrain<IShardGrain>(shardId), bounded.Token).WaitAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            string[] silent = await MarkSilentSilosAsync().ConfigureAwait(false);
            throw new TimeoutException($"{what} on shard {shardId} took over {timeout.TotalSeconds:F1} s; silos passed over as not answering: {(silent.Length > 0 ? string.Join(", ", silent) : "none")}. The job resumes from its checkpoint.");
        }
    }

    /// <summary>How long a silo of the placement has to answer a shard's info call after a round timed out.</summary>
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After a round or gather timed out: asks one shard of each silo of the placement for its info and passes over the
    /// silos that do not answer within <see cref="PingTimeout"/>. The window that timed out first may be a healthy one
    /// waiting for a hung neighbour's frames; its own silo answers and is not passed over. Returns the silos passed over.
    /// </summary>
    private async Task<string[]> MarkSilentSilosAsync()
    {
        var silos = Placement.GroupBy(ShardKey.SiloOf, StringComparer.Ordinal).Select(g => (Silo: g.Key, Shard: g.First())).ToArray();
        bool[] answered = await Task.WhenAll(silos.Select(async s =>
        {
            try
            {
                await _grains.GetGrain<IShardGrain>(s.Shard).GetInfoAsync().WaitAsync(PingTimeout).ConfigureAwait(false);
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        })).ConfigureAwait(false);
        string[] silent = silos.Where((_, i) => !answered[i]).Select(s => s.Silo).ToArray();
        foreach (string silo in silent)
        {
            _router.Hung.Mark(silo);
        }
        return silent;
    }

    /// <summary>Closes the windows on every silo that holds some (best effort: a silo that is gone took them with it; an idle window is dropped by its silo later).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _closed(Placement);
        foreach (string shard in Placement.Distinct())
        {
            _ = _grains.GetGrain<IShardGrain>(shard).ResidentCloseAsync(Job).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private sealed class Remote(ResidentShardWindows owner, TemporalWindow window) : IResidentWindow
    {
        public TemporalWindow Window { get; } = window;

        public async Task<ResidentRoundReport> RoundAsync(ResidentRoundOrder order, CancellationToken cancellationToken)
        {
            var request = new ResidentRoundRequest(owner.Job, Window.Index, order.Step, order.Iteration, order.Planned, order.Skip, order.Settled,
                order.Next is { } next ? new ResidentNextRound(next.Step, next.Iteration, next.Planned) : null);
            long roundStarted = owner.Counters.RoundBegin(), began = System.Diagnostics.Stopwatch.GetTimestamp();
            string shard = owner.Placement[Window.Index];
            // A shard that no longer lists the job's model (evicted for another job's) reloads it first: the ceiling then.
            bool held = (await owner._router.ShardsAsync(cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(s => s.ShardId == shard)?.Models.Contains(owner.Recipe.Spec.Model) ?? true;
            ResidentRoundResult result;
            try
            {
                result = await owner.BoundedAsync(shard, held, (grain, token) => grain.ResidentRoundAsync(request, token),
                    $"window {Window.Index}'s round (step {order.Step}, iteration {order.Iteration})", cancellationToken).ConfigureAwait(false);
                owner._rounds.Observe(shard, System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalSeconds);
            }
            finally
            {
                if (owner.Counters.RoundEnd())
                {
                    owner._metrics.Phase(StepPhase.Rounds, roundStarted);
                }
            }
            if (!result.Skipped)
            {
                owner.Counters.Shards.AddOrUpdate(result.ShardId, 1, (_, n) => n + 1);
                owner.Counters.Evaluated(Window.Index, result.Evaluations);
            }
            owner.Counters.Called(0, 0);
            return new ResidentRoundReport(result.CertainCells, result.AllCertain, result.Evaluations, result.SkippedEvaluations, result.Skipped, result.SentValues);
        }

        public async Task<torch.Tensor> OwnedFramesAsync(int stepsDone, CancellationToken cancellationToken)
        {
            // Bounded as a round is: a checkpoint gathering from a hung silo would hold up the job's resume.
            (long[] shape, WireTensor latent) = await owner.BoundedAsync(owner.Placement[Window.Index], true,
                (grain, _) => grain.ResidentFramesAsync(owner.Job, Window.Index, stepsDone), $"window {Window.Index}'s latent after step {stepsDone}", cancellationToken).ConfigureAwait(false);
            owner.Counters.Called(0, latent.Data.Length);
            owner._metrics.WireBytes.WithLabels("received").Inc(latent.Data.Length);
            return latent.ToTensor(shape);
        }
    }
}
