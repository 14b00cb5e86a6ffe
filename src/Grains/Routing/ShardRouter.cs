using System.Collections.Concurrent;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Resilience;
using Loom.Grains.Shards;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace Loom.Grains.Routing;

/// <summary>
/// Sends window evaluations to shards (one per silo, shared by the jobs it hosts). Placement: model affinity (down to
/// Wan2.2's expert, and only where the weights fit: <see cref="ShardHoldings"/>), then the
/// least expected finish time <c>(other routers' queue at the shard + this router's in-flight + 1) x measured latency</c>
/// (see <see cref="ShardLedger"/>), the window's home shard kept unless a request waits there, then this silo's shards
/// unless a request waits at each, near-ties broken at random (<see cref="ShardChoice"/>); a silo whose shard just timed out is passed over for 10 s. Resilience (Polly v8): retries on another shard (built once), and per shard a circuit breaker around a
/// timeout per attempt, derived from the shard's measured latency (<see cref="ShardLatencies"/>). An evaluation is idempotent, so a retry anywhere gives the same bits.
/// </summary>
public sealed partial class ShardRouter
{
    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DirectoryTimeout = TimeSpan.FromSeconds(2);

    private readonly IGrainFactory _grains;
    private readonly ShardHost _host;
    private readonly ResiliencePipelineProvider<LoomPipelineKey> _pipelines;
    private readonly ILogger<ShardRouter> _logger;
    private readonly ResiliencePipeline _attempts;
    private readonly LoomMetrics _metrics;
    private readonly ShardBreakers _breakers;
    private readonly ShardLedger _ledger = new();
    private readonly ShardHoldings _holdings;
    private readonly ShardLatencies _latencies;
    private readonly ConcurrentDictionary<(string Shard, string Key), bool> _conditioningSent = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly Lock _pickGate = new();
    private readonly ConcurrentDictionary<string, Lazy<ResiliencePipeline>> _shardPipelines = new(StringComparer.Ordinal);
    private readonly string _localSilo;
    private ShardInfo[] _shards = [];
    private DateTimeOffset _shardsAt = DateTimeOffset.MinValue;
    private IReadOnlyDictionary<string, double> _othersBusy = new Dictionary<string, double>();
    private readonly WindowHomes _homes = new();

    /// <summary>A router over the pipelines registered once (<see cref="LoomPipelines"/>).</summary>
    public ShardRouter(IGrainFactory grains, ModelCatalog catalog, ResiliencePipelineProvider<LoomPipelineKey> pipelines, ShardLatencies latencies, ShardBreakers breakers, ILogger<ShardRouter> logger, LoomMetrics metrics, ILocalSiloDetails local, ShardHost host)
    {
        _grains = grains;
        _host = host;
        _localSilo = local.SiloAddress.ToParsableString();
        _holdings = new ShardHoldings(catalog);
        _pipelines = pipelines;
        _logger = logger;
        _metrics = metrics;
        _latencies = latencies;
        _breakers = breakers;
        _attempts = pipelines.GetPipeline(LoomPipelines.Evaluation);
    }

    /// <summary>The silo's metrics (the job's fields add their step phases there).</summary>
    public LoomMetrics Metrics => _metrics;

    /// <summary>Evaluates <paramref name="request"/> somewhere, counting retries and traffic in <paramref name="counters"/>.</summary>
    /// <param name="request">The request, without conditioning bytes.</param>
    /// <param name="conditioning">The window's given frames (sent to a shard only when it lacks them), or null.</param>
    /// <param name="counters">The job's counters, or null.</param>
    /// <param name="cancellationToken">Cancels the evaluation, also on the shard.</param>
    /// <param name="home">
    /// The shard that evaluated this window last (<see cref="WindowResult.ShardId"/>), or null: taken again when it is
    /// among the cheapest, so a job's windows keep their shards from step to step.
    /// </param>
    public async Task<WindowResult> EvaluateAsync(WindowRequest request, WindowConditioning? conditioning, JobCounters? counters, CancellationToken cancellationToken, string? home = null)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        ResilienceContext context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: false, cancellationToken);
        if (counters is not null)
        {
            context.Properties.Set(LoomPipelines.RetryObserved, counters.Retried);
        }
        try
        {
            return await _attempts.ExecuteAsync(
                async (ctx, state) => await state.Router.AttemptAsync(state.Request, state.Conditioning, state.Tried, state.Counters, state.Home, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Router: this, Request: request, Conditioning: conditioning, Tried: tried, Counters: counters, Home: home)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The silos passed over as hung: marked by this router's timed-out calls and by resident windows' rounds.</summary>
    public HungSilos Hung { get; } = new();

    private async ValueTask<WindowResult> AttemptAsync(WindowRequest request, WindowConditioning? conditioning, HashSet<string> tried, JobCounters? counters, string? home, CancellationToken cancellationToken)
    {
        long picking = System.Diagnostics.Stopwatch.GetTimestamp();
        var (shard, sent, held) = await PickAsync(request.Model, request.Expert, tried, home, counters, request.WindowStart, cancellationToken).ConfigureAwait(false);
        _metrics.Phase(StepPhase.Route, picking);
        tried.Add(shard.ShardId);
        var breaker = Breaker(shard.ShardId);
        double computed = 0;
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            ResilienceContext context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: false, cancellationToken);
            // A shard without the model loaded gets the ceiling: its first call includes the load.
            context.Properties.Set(LoomPipelines.AttemptTimeout, _latencies.TimeoutFor(shard.ShardId, held));
            try
            {
                WindowResult result = await breaker.Pipeline.ExecuteAsync(
                    async (ctx, state) => await state.Router.CallAsync(state.ShardId, state.Request, state.Conditioning, state.Counters, ctx.CancellationToken).ConfigureAwait(false),
                    context, (Router: this, shard.ShardId, Request: request, Conditioning: conditioning, Counters: counters)).ConfigureAwait(false);
                TimeSpan took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                _latencies.Observe(shard.ShardId, took.TotalSeconds);
                if (counters is not null)
                {
                    lock (_pickGate)
                    {
                        // Between two rounds a window waits for the rest of its step: a few forwards at most.
                        _homes.Answered(counters, request.WindowStart, shard.ShardId, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1) + 3 * took);
                    }
                }
                Hung.Clear(shard.Silo);
                computed = result.ComputeSeconds / Math.Max(1, result.BatchRequests); // its part of a batched forward
                return result;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogAttemptFailed(_logger, request.JobId, request.Step, request.Iteration, shard.ShardId, e.GetType().Name, e.Message);
            if (e is TimeoutRejectedException)
            {
                // A call that outlived many times its shard's usual latency: its silo is likely hung (stopped, swapping,
                // a wedged device), and so its other shards. The circuit breaker alone opens only once failures outweigh
                // the successes of the last 30 s, so until then every step would place windows there and wait out their
                // timeouts; pass the silo over for a while instead (a success anywhere on it clears this).
                Hung.Mark(shard.Silo);
            }
            _shardsAt = DateTimeOffset.MinValue; // look at the directory again before the next attempt
            throw;
        }
        finally
        {
            _ledger.End(sent, computed);
        }
    }

    private async ValueTask<WindowResult> CallAsync(string shardId, WindowRequest request, WindowConditioning? conditioning, JobCounters? counters, CancellationToken cancellationToken)
    {
        IShardGrain grain = _grains.GetGrain<IShardGrain>(shardId);
        string? key = request.ConditioningKey;
        bool send = key is not null && !_conditioningSent.ContainsKey((shardId, key));
        try
        {
            WindowResult result = await CallOnceAsync(grain, send ? request with { Conditioning = conditioning } : request, counters, cancellationToken).ConfigureAwait(false);
            if (send)
            {
                _conditioningSent[(shardId, key!)] = true;
            }
            return result;
        }
        catch (ConditioningMissingException) when (conditioning is not null)
        {
            // The shard restarted or evicted it: send it once more with the frames; not a failure of the shard.
            WindowResult result = await CallOnceAsync(grain, request with { Conditioning = conditioning }, counters, cancellationToken).ConfigureAwait(false);
            _conditioningSent[(shardId, key!)] = true;
            return result;
        }
    }

    private async Task<WindowResult> CallOnceAsync(IShardGrain grain, WindowRequest request, JobCounters? counters, CancellationToken cancellationToken)
    {
        long sent = request.Latent.Data.Length + (request.Conditioning?.Clean.Length ?? 0);
        _metrics.WireBytes.WithLabels("sent").Inc(sent);
        WindowResult result;
        try
        {
            // WaitAsync: a hung silo may never answer the call's cancellation; the timeout must still let go of it.
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            result = await grain.EvaluateAsync(request, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            _metrics.Phase(StepPhase.Call, started);
            _metrics.Phase(StepPhase.ShardQueue, result.QueueSeconds);
            _metrics.Phase(StepPhase.ShardForward, result.ComputeSeconds);
        }
        catch
        {
            counters?.Called(sent, 0);
            throw;
        }
        _metrics.WireBytes.WithLabels("received").Inc(result.Velocity.Data.Length);
        counters?.Called(sent, result.Velocity.Data.Length);
        return result;
    }

    /// <summary>
    /// The live shards, about a second old: a snapshot past <see cref="SnapshotAge"/> is used once more while a fresh one
    /// is fetched in the background (a directory call on a step's critical path delayed every few rounds' windows by a
    /// grain round trip); the caller waits for the directory only when there is no snapshot yet or a failed attempt
    /// asked for a fresh one.
    /// </summary>
    public Task<ShardInfo[]> ShardsAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset at = _shardsAt;
        if (DateTimeOffset.UtcNow - at < SnapshotAge)
        {
            return Task.FromResult(_shards);
        }
        if (_shards.Length > 0 && at != DateTimeOffset.MinValue)
        {
            if (_refresh.CurrentCount > 0)
            {
                _ = RefreshAsync(CancellationToken.None); // its failures are handled (and logged) inside
            }
            return Task.FromResult(_shards);
        }
        return RefreshAsync(cancellationToken);
    }

    /// <summary>Asks the directory for the live shards unless another caller just did.</summary>
    private async Task<ShardInfo[]> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (DateTimeOffset.UtcNow - _shardsAt >= SnapshotAge)
            {
                try
                {
                    // Bounded: the directory's silo may hang (stopped, not yet declared dead); then place on what we knew.
                    ShardInfo[] previous = _shards;
                    _shards = await _grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync().WaitAsync(DirectoryTimeout, cancellationToken).ConfigureAwait(false);
                    _ledger.Retain(_shards.Select(s => s.ShardId));
                    _othersBusy = OthersBusy(previous, _shards);
                    _shardsAt = DateTimeOffset.UtcNow;
                }
                catch (Exception e) when (e is not OperationCanceledException && _shards.Length > 0)
                {
                    // The directory's silo just died or hangs and membership has not said so yet: place on what we last
                    // knew, and ask again only after SnapshotAge. (Not marking the snapshot fresh made every pick of every
                    // window wait the directory timeout in turn behind _refresh: with the directory on a stopped silo a
                    // step's dozen picks took tens of seconds, so the job seemed stuck though each hung call was abandoned.)
                    LogDirectoryUnavailable(_logger, e.GetType().Name, _shards.Length);
                    _shardsAt = DateTimeOffset.UtcNow;
                }
            }
            return _shards;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// For each shard reported in both snapshots, the share of the time between its two reports that it spent on other
    /// routers' work: its busy seconds over that time, less the compute seconds of this router's requests it answered in
    /// that time (both as the shard counts them). A shard another silo's job uses round after round is idle for a moment between
    /// its rounds, and a queue depth read at such a moment would call it free; its busy share does not.
    /// </summary>
    private Dictionary<string, double> OthersBusy(ShardInfo[] previous, ShardInfo[] current)
    {
        var before = previous.ToDictionary(s => s.ShardId, StringComparer.Ordinal);
        var busy = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ShardInfo now in current)
        {
            if (before.TryGetValue(now.ShardId, out ShardInfo? then) && (now.ReportedAt - then.ReportedAt).TotalSeconds is > 0.25 and var span)
            {
                double share = (now.BusySeconds - then.BusySeconds) / span;
                busy[now.ShardId] = Math.Max(0, share - _ledger.BusyShare(now.ShardId, then.ReportedAt, now.ReportedAt));
            }
            else if (_othersBusy.TryGetValue(now.ShardId, out double last))
            {
                busy[now.ShardId] = last; // not reported again since: the last estimate stands
            }
        }
        return busy;
    }

    /// <summary>
    /// Picks a shard for one evaluation of <paramref name="model"/> (<paramref name="expert"/> of it, when named) and
    /// records it as sent there (the caller ends the returned entry); Held: whether it held the weights.
    /// </summary>
    private async Task<(ShardInfo Shard, object Sent, bool Held)> PickAsync(string model, string? expert, HashSet<string> tried, string? home, JobCounters? run, int windowStart, CancellationToken cancellationToken)
    {
        ShardInfo[] live = await ShardsAsync(cancellationToken).ConfigureAwait(false);
        // Shards of a draining silo only when nothing else is live (a lone silo finishes its own jobs' current step).
        if (live.Any(s => !s.Draining))
        {
            live = live.Where(s => !s.Draining).ToArray();
        }
        var open = live.Where(s => Breaker(s.ShardId).State.CircuitState is not (CircuitState.Open or CircuitState.Isolated)).ToList();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var answering = open.Where(s => !Hung.IsHung(s.Silo, now)).ToList();
        if (answering.Count > 0)
        {
            open = answering; // a hung silo's shards only when nothing else can take the window
        }
        var fresh = open.Where(s => !tried.Contains(s.ShardId)).ToList();
        List<ShardInfo> candidates = fresh.Count > 0 ? fresh : open;
        if (candidates.Count == 0)
        {
            throw new ShardUnavailableException($"no live shard can take model '{model}' ({live.Length} live, all failing or untried).");
        }
        double[] known = candidates.Where(s => s.LatencySeconds > 0).Select(s => s.LatencySeconds).Order().ToArray();
        double typical = known.Length > 0 ? known[known.Length / 2] : 0.05; // a shard not measured yet: assume the median
        HashSet<string> homes = []; // other windows' homes, taken with the choice below
        double Cost(ShardInfo s, double loading)
        {
            double latency = s.LatencySeconds > 0 ? s.LatencySeconds : typical;
            // Other routers' requests (live on this silo, else as of the report with this router's own then out taken off),
            // plus this router's now.
            int inFlight = _ledger.InFlight(s.ShardId);
            int others;
            if (_host.QueueDepthOf(s.ShardId) is { } depth)
            {
                // A shard on this silo is read live: every router's requests there now. Its report is up to seconds old, and
                // a busy share from it still counted the jobs that had just ended there (a batch submitted after others
                // sent its first windows to another silo, whose jobs it then displaced).
                others = Math.Max(0, depth - inFlight);
            }
            else
            {
                others = Math.Max(0, s.QueueDepth - _ledger.OutAt(s.ShardId, s.ReportedAt));
                if (others == 0 && inFlight == 0 && s.ShardId != home && _othersBusy.GetValueOrDefault(s.ShardId) >= 0.5)
                {
                    others = 1; // idle at the report, but another router's job has been keeping it busy
                }
            }
            if (others == 0 && inFlight == 0 && s.ShardId != home && homes.Contains(s.ShardId))
            {
                // Idle now, but the home of another of this router's windows, between its rounds: a new job's window that
                // took it in that gap sent the home's window elsewhere, where it displaced another in turn.
                others = 1;
            }
            return (others + inFlight + 1) * latency + loading; // affinity: a load costs its seconds
        }
        // Choosing and counting the choice in flight is one atomic act: a step's windows are placed concurrently, and
        // without it they all see the same idle shard and pile onto it.
        // The window's home shard (the one that evaluated it last) while nothing waits ahead of it there; else one of the
        // cheapest on this silo while within 50% of the cheapest anywhere (their load is known exactly here), else one of the
        // cheapest anywhere (within 10%: latencies are noisy), at random (ShardChoice).
        // Routers on different silos see one another's load only as of the directory's last report (about a second old), so two of them can pick the same idle shard and one
        // window then waits a whole forward behind the other. Home and local shards make that rare: a job keeps its shards
        // while they stay cheapest (64 one-window jobs on 64 shards over 4 silos: random among the cheapest queued a third
        // of the evaluations), and a job silo fills its own shards first, whose load its own ledger knows exactly (no
        // serialization either: a call to a shard on this silo passes the payload by reference).
        lock (_pickGate)
        {
            homes = _homes.OfOthers(run, windowStart, now);
            var usable = _holdings.Usable(model, expert, candidates);
            var costs = new double[usable.Count];
            var local = new bool[usable.Count];
            int homeIndex = -1;
            for (int i = 0; i < usable.Count; i++)
            {
                ShardInfo shard = usable[i].Shard;
                costs[i] = Cost(shard, usable[i].LoadSeconds);
                local[i] = shard.Silo == _localSilo;
                homeIndex = shard.ShardId == home ? i : homeIndex;
            }
            int pick = ShardChoice.Pick(costs, homeIndex, local, Random.Shared);
            var (chosen, loading) = usable[pick];
            _holdings.Sent(chosen, model, expert);
            return (chosen, _ledger.Begin(chosen.ShardId), loading == 0);
        }
    }

    // The pipeline first: it creates the breaker whose state is read. Built once per shard here: the registry may build
    // a pipeline twice when two windows ask for a new shard's at once, and the shard's one state provider then stays
    // bound to the breaker of the copy it dropped (a disposed breaker: a job failed with ObjectDisposedException).
    private (ResiliencePipeline Pipeline, CircuitBreakerStateProvider State) Breaker(string shardId)
        => (_shardPipelines.GetOrAdd(shardId, id => new Lazy<ResiliencePipeline>(() => _pipelines.GetPipeline(LoomPipelines.Shard(id)))).Value,
            _breakers.For(shardId));

    /// <summary>The shards of the directory's last answer (live ones, draining ones included).</summary>
    public IEnumerable<string> KnownShards => _shards.Select(s => s.ShardId);

    /// <summary>State of each shard's circuit breaker this silo has used.</summary>
    public IReadOnlyDictionary<string, CircuitState> BreakerStates => _breakers.States;

    [LoggerMessage(Level = LogLevel.Warning, Message = "shard directory unavailable ({Error}); placing on the last {Count} shards known")]
    private static partial void LogDirectoryUnavailable(ILogger logger, string error, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} step {Step} iteration {Iteration}: shard {Shard} failed ({Error}: {Detail}); retrying elsewhere")]
    private static partial void LogAttemptFailed(ILogger logger, string jobId, int step, int iteration, string shard, string error, string detail);
}
