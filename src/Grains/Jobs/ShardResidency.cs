using System.Collections.Concurrent;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Loom.Grains.Jobs;

/// <summary>
/// Places a co-denoising job's windows on shards for the whole job (resident windows, <see cref="LoomJobOptions.ResidentWindows"/>)
/// and reaches them: each window's slice of the latent is sent once, then every round is a small message each way per
/// window (the step, the iteration, which windows skip, which samples settled; certain counts back) while velocities
/// over shared frames go shard to shard. The job's latent comes back only for a checkpoint and the result.
/// </summary>
/// <param name="grains">Reaches the shards.</param>
/// <param name="router">The live shards, and the silos passed over as hung.</param>
/// <param name="evaluation">How long a round may take: a multiple of the rounds measured, as for a job-owned evaluation.</param>
/// <param name="host">This silo's shards, whose loads are read live.</param>
public sealed class ShardResidency(IGrainFactory grains, ShardRouter router, IOptions<LoomEvaluationOptions> evaluation, ShardHost host)
{
    /// <summary>Windows this silo's jobs hold open on each shard now.</summary>
    private readonly ConcurrentDictionary<string, int> _placed = new(StringComparer.Ordinal);

    /// <summary>Attempts at placing a job's windows, each without the shards that refused the one before.</summary>
    public const int PlacementAttempts = 3;

    /// <summary>Longest a window's open may take (a slice of the latent and the window's conditioning, no model work).</summary>
    public static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens <paramref name="recipe"/>'s windows on shards from <paramref name="latent"/> (borrowed) after
    /// <paramref name="stepsDone"/> steps. Consecutive windows go to consecutive shards of one silo where they can (their
    /// shared frames then stay in the silo), starting at a shard chosen by the job's id so concurrent jobs spread. A shard
    /// that fails to open its window (its silo just died and the directory still lists it) is left out of the next attempt.
    /// </summary>
    /// <param name="opening">This loop's opens before this one (its windows moved off draining shards): the windows are
    /// told apart from those of earlier opens that a silo may still hold.</param>
    /// <exception cref="ShardUnavailableException">No live shard takes work.</exception>
    public async Task<ResidentShardWindows> OpenAsync(
        string jobId, long epoch, JobRecipe recipe, torch.Tensor latent, int stepsDone, FrameConditioning? conditioning, JobCounters counters,
        Func<TemporalWindow, WindowInputs?> inputs, int opening, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var refused = new HashSet<string>(StringComparer.Ordinal);
        for (int attempt = 1; ; attempt++)
        {
            string[] placement = await PlaceAsync(jobId, recipe, refused, cancellationToken).ConfigureAwait(false);
            foreach (string shard in placement)
            {
                _placed.AddOrUpdate(shard, 1, (_, n) => n + 1);
            }
            var remote = new ResidentShardWindows(grains, router, new ResidentJob(jobId, epoch, opening * PlacementAttempts + attempt), recipe, placement, counters,
                new ShardLatencies(evaluation.Value), Closed);
            Task[] opens = recipe.Windows.Windows.Select(window => Task.Run(() => OpenWindowAsync(remote, window, latent, stepsDone, conditioning, inputs(window), cancellationToken), cancellationToken)).ToArray();
            try
            {
                await Task.WhenAll(opens).ConfigureAwait(false);
                return remote;
            }
            catch (Exception) when (attempt < PlacementAttempts && !cancellationToken.IsCancellationRequested)
            {
                remote.Dispose();
                refused.UnionWith(opens.Select((task, w) => (task, w)).Where(o => o.task.IsFaulted).Select(o => placement[o.w]));
            }
            catch
            {
                remote.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Each window's shard: the live shards that hold the model (else all live ones), less <paramref name="refused"/> and
    /// those of silos passed over as hung (unless that leaves none), in order, consecutive windows on consecutive shards
    /// (of one silo where they can: their shared frames then stay in the silo), from the offset whose shards are least
    /// loaded; ties go to the offset by the hash of the job's id (string hashes differ per process: it only spreads jobs).
    /// A shard's load: its requests waiting or running (read live on this silo, else as last reported), or, where more,
    /// the windows this silo's jobs hold open there (jobs opened in the same moment see each other at once).
    /// </summary>
    private async Task<string[]> PlaceAsync(string jobId, JobRecipe recipe, HashSet<string> refused, CancellationToken cancellationToken)
    {
        ShardInfo[] live = (await router.ShardsAsync(cancellationToken).ConfigureAwait(false)).Where(s => !s.Draining && !refused.Contains(s.ShardId)).ToArray();
        if (live.Any(s => !router.Hung.IsHung(s.Silo)))
        {
            live = live.Where(s => !router.Hung.IsHung(s.Silo)).ToArray();
        }
        ShardInfo[] holding = live.Where(s => s.Models.Contains(recipe.Spec.Model)).ToArray();
        ShardInfo[] shards = (holding.Length > 0 ? holding : live).OrderBy(s => s.ShardId, StringComparer.Ordinal).ToArray();
        if (shards.Length == 0)
        {
            throw new ShardUnavailableException($"no live shard to place job {jobId}'s resident windows on.");
        }
        int[] load = shards.Select(s => Math.Max(host.QueueDepthOf(s.ShardId) ?? s.QueueDepth, _placed.GetValueOrDefault(s.ShardId))).ToArray();
        int count = recipe.Windows.Windows.Count;
        int offset = LeastLoadedOffset(load, count, (int)((uint)StringComparer.Ordinal.GetHashCode(jobId) % (uint)shards.Length));
        return Enumerable.Range(0, count).Select(w => shards[ShardOf(offset, w, count, shards.Length)].ShardId).ToArray();
    }

    /// <summary>The shard (of <paramref name="shards"/>) of window <paramref name="window"/> of <paramref name="windows"/> placed from <paramref name="offset"/>: consecutive windows on consecutive shards, spread over all.</summary>
    public static int ShardOf(int offset, int window, int windows, int shards) => (offset + (int)((long)window * shards / windows)) % shards;

    /// <summary>
    /// The offset whose shards (<see cref="ShardOf"/>) carry the least of <paramref name="load"/> in all; of equal ones,
    /// the first from <paramref name="preferred"/> on.
    /// </summary>
    public static int LeastLoadedOffset(IReadOnlyList<int> load, int windows, int preferred)
    {
        ArgumentNullException.ThrowIfNull(load);
        int best = preferred;
        long least = long.MaxValue;
        for (int k = 0; k < load.Count; k++)
        {
            int offset = (preferred + k) % load.Count;
            long cost = 0;
            for (int w = 0; w < windows; w++)
            {
                cost += load[ShardOf(offset, w, windows, load.Count)];
            }
            if (cost < least)
            {
                (least, best) = (cost, offset);
            }
        }
        return best;
    }

    /// <summary>A placement's windows closed: they no longer load their shards.</summary>
    private void Closed(IReadOnlyList<string> placement)
    {
        foreach (string shard in placement)
        {
            _placed.AddOrUpdate(shard, 0, (_, n) => Math.Max(0, n - 1));
        }
    }

    private async Task OpenWindowAsync(
        ResidentShardWindows remote, TemporalWindow window, torch.Tensor latent, int stepsDone, FrameConditioning? conditioning, WindowInputs? inputs, CancellationToken cancellationToken)
    {
        FrameConditioning? given = WindowedSampler.Slice(conditioning, window);
        (WindowConditioning? windowConditioning, string? key) = ShardWindowField.Conditioning(given, inputs);
        given?.Clean.Dispose();
        using torch.Tensor part = TensorBlock.Run(() => latent.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous());
        // What the job decides per timestep, for every step: a window may run a round before it is asked.
        JobRecipe recipe = remote.Recipe;
        double[] timesteps = Enumerable.Range(0, recipe.Schedule.Steps).Select(recipe.Schedule.Timestep).ToArray();
        double[] guidance = timesteps.Select(t => inputs?.GuidanceAt(t) ?? recipe.Spec.Guidance).ToArray();
        string[]? experts = inputs?.ExpertAt is { } expertAt ? timesteps.Select(expertAt).ToArray() : null;
        var request = new ResidentOpenRequest(remote.Job, recipe.Spec, window.Index, [.. remote.Placement], stepsDone, part.shape,
            WireCodec.Encode(part, WirePrecision.Float32), key, windowConditioning, guidance, experts);
        string shard = remote.Placement[window.Index];
        try
        {
            await grains.GetGrain<IShardGrain>(shard).ResidentOpenAsync(request).WaitAsync(OpenTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            router.Hung.Mark(ShardKey.SiloOf(shard)); // the next attempt places on other silos
            throw;
        }
        remote.Counters.Called(request.Latent.Data.Length, 0);
        router.Metrics.WireBytes.WithLabels("sent").Inc(request.Latent.Data.Length);
    }
}
