using System.Collections.Concurrent;
using Loom.Contracts.Shards;
using Loom.Sampling.Refinement;
using Loom.Sampling.Schedules;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using TorchSharp;

namespace Loom.Grains.Shards;

/// <summary>
/// The resident windows of co-denoising jobs on this silo's shards: each keeps its slice of the job's latent and
/// P&amp;P state between rounds and steps (<see cref="ResidentWindowWorker"/>), is evaluated by its shard's worker
/// exactly as a job-owned window is (the same request, wire precision and conditioning), and sends its velocity over
/// shared frames to its neighbours' shards. A job's windows of an older loop (epoch) are dropped when a newer one opens
/// here, and windows untouched for <see cref="IdleAfter"/> (their job died without closing them) by a sweep.
/// </summary>
public sealed class ResidentWindows : IDisposable
{
    /// <summary>How long a job's windows stay without a call before a sweep drops them.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<ResidentJob, JobWindows> _jobs = new();
    private readonly ShardHost _host;
    private readonly IGrainFactory _grains;
    private readonly Func<Contracts.Jobs.JobSpec, ResidentRecipe> _recipes;
    private readonly LoomMetrics _metrics;
    private readonly Timer _sweep;

    /// <summary>The resident windows of this silo, swept for idle ones every minute.</summary>
    /// <param name="host">This silo's shards.</param>
    /// <param name="grains">Reaches the neighbours' shards.</param>
    /// <param name="recipes">Resolves a job's spec into what its windows need (the jobs' side: <c>JobRecipe.Resident</c>).</param>
    /// <param name="metrics">Counts the rounds run here (<c>loom_resident_rounds_total</c>).</param>
    public ResidentWindows(ShardHost host, IGrainFactory grains, Func<Contracts.Jobs.JobSpec, ResidentRecipe> recipes, LoomMetrics metrics)
    {
        (_host, _grains, _recipes, _metrics) = (host, grains, recipes, metrics);
        _sweep = new Timer(_ => DropIdle(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>Windows resident here now.</summary>
    public int Count => _jobs.Values.Sum(j => j.Windows.Count);

    /// <summary>How long a job's windows count as in use (<see cref="InUse"/>) after their last call when no round runs.</summary>
    public static readonly TimeSpan InUseAfterCall = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Windows of jobs that are still using them: a round runs, or a call came within <see cref="InUseAfterCall"/>. A
    /// draining silo waits for these to be moved (windows whose job died without closing them are not waited for).
    /// </summary>
    public int InUse => _jobs.Values.Where(j => j.Running > 0 || DateTime.UtcNow - j.LastUsed < InUseAfterCall).Sum(j => j.Windows.Count);

    /// <summary>Opens (or re-opens) a window on shard <paramref name="shardId"/>.</summary>
    /// <exception cref="ArgumentException">The request does not fit the job it names.</exception>
    public void Open(string shardId, ResidentOpenRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ShardWorker worker = _host.Worker(shardId);
        ResidentRecipe recipe = _recipes(request.Spec);
        if (request.Window < 0 || request.Window >= recipe.Windows.Windows.Count || request.Shards.Length != recipe.Windows.Windows.Count)
        {
            throw new ArgumentException($"window {request.Window} and {request.Shards.Length} shards do not fit job {request.Job.JobId}'s {recipe.Windows.Windows.Count} windows.", nameof(request));
        }
        if (request.Guidance is null || request.Guidance.Length != recipe.Schedule.Steps || request.Experts is { } named && named.Length != recipe.Schedule.Steps)
        {
            throw new ArgumentException($"job {request.Job.JobId}'s guidance and experts must name each of its {recipe.Schedule.Steps} steps; got {request.Guidance?.Length} and {request.Experts?.Length}.", nameof(request));
        }
        TemporalWindow window = recipe.Windows.Windows[request.Window];
        foreach (ResidentJob older in _jobs.Keys.Where(k => k.JobId == request.Job.JobId && (k.Epoch, k.Attempt).CompareTo((request.Job.Epoch, request.Job.Attempt)) < 0).ToArray())
        {
            Close(older); // a superseded loop's or a refused attempt's windows: nothing will call them again
        }
        JobWindows job = _jobs.GetOrAdd(request.Job, _ => new JobWindows(new ResidentNoise(recipe.Seeds, recipe.SampleShape)));
        job.Touch();
        var entry = new Entry(shardId);
        torch.Tensor latent = request.Latent.ToTensor(request.Shape);
        FrameConditioning? given = null;
        if (request.Conditioning is { } conditioning && conditioning.Given.Any(g => g))
        {
            given = new FrameConditioning(new WireTensor(conditioning.Clean, WirePrecision.Float32).ToTensor(request.Shape), conditioning.Given);
        }
        var halos = new GrainHalos(_grains, request.Job, request.Shards, request.Spec.Wire, job.Board, _host.Holds);
        string jobId = request.Job.JobId;
        var spec = request.Spec;
        try
        {
            entry.Worker = new ResidentWindowWorker(recipe.Windows, recipe.Blend, recipe.Schedule, recipe.Refinement, recipe.Seeds, window, latent, request.StepsDone, given, job.Noise, halos,
            async (input, context, token) =>
            {
                // The request a job-owned window sends for this input, so the shard computes the same bits.
                WindowRequest evaluation = WindowEvaluation.Request(jobId, spec, window.Start, input, context, request.Guidance[context.Step], request.Experts?[context.Step], request.ConditioningKey, request.Conditioning);
                WindowResult result = await worker.EvaluateAsync(evaluation, token).ConfigureAwait(false);
                return new Prediction(WindowEvaluation.Velocity(result, input), result.Evaluations);
            });
        }
        catch
        {
            latent.Dispose();
            given?.Clean.Dispose();
            throw;
        }
        if (job.Windows.TryGetValue(request.Window, out Entry? previous))
        {
            previous.Worker?.Dispose();
        }
        job.Windows[request.Window] = entry;
        if (!_jobs.TryGetValue(request.Job, out JobWindows? still) || !ReferenceEquals(still, job))
        {
            job.Dispose(); // closed while this window opened: nothing will call it
            throw new InvalidOperationException($"job {request.Job.JobId}'s windows were closed on silo {_host.Silo} while window {request.Window} opened.");
        }
    }

    /// <summary>Runs one round of a window here.</summary>
    /// <exception cref="InvalidOperationException">The window is not resident here (its silo restarted, or the job closed it).</exception>
    public async Task<ResidentRoundResult> RoundAsync(ResidentRoundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        (JobWindows job, Entry entry) = Find(request.Job, request.Window);
        // Ended by the caller, or by the job's windows closing here (a round waiting for a dead neighbour's frames).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, job.Closing);
        ResidentRoundOrder? next = request.Next is { } n ? new ResidentRoundOrder(n.Step, n.Iteration, n.Planned, [], []) : null;
        ResidentRoundReport report;
        Interlocked.Increment(ref job.Running);
        try
        {
            report = await entry.Worker!.RoundAsync(
                new ResidentRoundOrder(request.Step, request.Iteration, request.Planned, request.Skip, request.Settled, next), stop.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref job.Running);
            job.Touch();
        }
        _metrics.ResidentRounds.WithLabels(report.RanAhead ? "ahead" : "asked").Inc();
        return new ResidentRoundResult(report.CertainCells, report.AllCertain, report.Evaluations, report.SkippedEvaluations, report.Skipped, report.SentValues, entry.ShardId);
    }

    /// <summary>Delivers a neighbour's part to a window here; dropped when the job's windows are gone (closed after a failure).</summary>
    public void Deliver(ResidentHalo halo)
    {
        ArgumentNullException.ThrowIfNull(halo);
        if (_jobs.TryGetValue(halo.Job, out JobWindows? job))
        {
            job.Touch();
            try
            {
                job.Board.Deposit(new HaloKey(halo.To, halo.Step, halo.Iteration, halo.From, halo.Frame), halo.Values.ToTensor(halo.Shape));
            }
            catch (ObjectDisposedException)
            {
                // closed meanwhile: the part was freed
            }
        }
    }

    /// <summary>A window's latent over the frames it answers for after <paramref name="stepsDone"/> steps, float32.</summary>
    public async Task<(long[] Shape, WireTensor Latent)> FramesAsync(ResidentJob job, int window, int stepsDone)
    {
        (_, Entry entry) = Find(job, window);
        using torch.Tensor frames = await entry.Worker!.OwnedFramesAsync(stepsDone, CancellationToken.None).ConfigureAwait(false);
        return (frames.shape, WireCodec.Encode(frames, WirePrecision.Float32));
    }

    /// <summary>Drops a job's windows on this silo.</summary>
    public void Close(ResidentJob job)
    {
        if (_jobs.TryRemove(job, out JobWindows? windows))
        {
            windows.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sweep.Dispose();
        foreach (ResidentJob job in _jobs.Keys.ToArray())
        {
            Close(job);
        }
    }

    private (JobWindows Job, Entry Entry) Find(ResidentJob job, int window)
    {
        if (_jobs.TryGetValue(job, out JobWindows? windows) && windows.Windows.TryGetValue(window, out Entry? entry) && entry.Worker is not null)
        {
            windows.Touch();
            return (windows, entry);
        }
        throw new InvalidOperationException($"window {window} of job {job.JobId} (epoch {job.Epoch}) is not resident on silo {_host.Silo}: its silo restarted or the job closed it.");
    }

    private void DropIdle()
    {
        DateTime cutoff = DateTime.UtcNow - IdleAfter;
        foreach (var (key, job) in _jobs.ToArray())
        {
            if (job.LastUsed < cutoff)
            {
                Close(key);
            }
        }
    }

    private sealed class Entry(string shardId)
    {
        public string ShardId { get; } = shardId;

        public ResidentWindowWorker? Worker { get; set; }
    }

    private sealed class JobWindows(ResidentNoise noise) : IDisposable
    {
        private readonly CancellationTokenSource _closing = new();

        public HaloBoard Board { get; } = new();

        /// <summary>Cancelled when the windows close: rounds still running end (their worker frees itself as they leave).</summary>
        public CancellationToken Closing => _closing.Token;

        /// <summary>The job's P&amp;P noise, one whole-video draw per round for all its windows on this silo.</summary>
        public ResidentNoise Noise { get; } = noise;

        public ConcurrentDictionary<int, Entry> Windows { get; } = new();

        public DateTime LastUsed { get; private set; } = DateTime.UtcNow;

        /// <summary>Rounds running now (a field for <see cref="Interlocked"/>).</summary>
        public int Running;

        public void Touch() => LastUsed = DateTime.UtcNow;

        public void Dispose()
        {
            _closing.Cancel();
            foreach (Entry entry in Windows.Values)
            {
                entry.Worker?.Dispose();
            }
            Windows.Clear();
            Board.Dispose();
            Noise.Dispose();
        }
    }

    /// <summary>
    /// Velocities over shared frames sent to the reading window's shard, a grain call when it is on another silo and
    /// straight to this silo's board when it is here; received from this silo's board.
    /// </summary>
    private sealed class GrainHalos(IGrainFactory grains, ResidentJob job, string[] shards, WirePrecision wire, HaloBoard board, Func<string, bool> here) : IHaloExchange
    {
        public Task SendAsync(HaloKey key, torch.Tensor part, CancellationToken cancellationToken)
        {
            if (here(shards[key.To]))
            {
                // Rounded to the wire precision as the message would have been: the reader gets the same bits.
                board.Deposit(key, TensorBlock.Run(() => WireCodec.Round(part, wire)));
                return Task.CompletedTask;
            }
            var halo = new ResidentHalo(job, key.To, key.Step, key.Iteration, key.From, key.Frame, part.shape, WireCodec.Encode(part, wire));
            return grains.GetGrain<IShardGrain>(shards[key.To]).ResidentHaloAsync(halo).WaitAsync(cancellationToken);
        }

        public Task<torch.Tensor> ReceiveAsync(HaloKey key, CancellationToken cancellationToken) => board.ReceiveAsync(key, cancellationToken);
    }
}

/// <summary>What a shard needs to run a job's resident windows, resolved from the job's spec by the jobs' side.</summary>
/// <param name="Windows">The job's windows.</param>
/// <param name="Blend">How overlapping windows' velocities are weighted.</param>
/// <param name="Schedule">The sigmas.</param>
/// <param name="Refinement">P&amp;P settings.</param>
/// <param name="Seeds">One seed per video.</param>
/// <param name="SampleShape">One video's latent shape <c>[C, F, ...]</c>.</param>
public sealed record ResidentRecipe(WindowPlan Windows, WindowBlend Blend, FlowSchedule Schedule, RefinementOptions Refinement, long[] Seeds, long[] SampleShape);
