using Loom.Sampling.Fields;

namespace Loom.Sampling.Windows;

/// <summary>
/// What the coordinator of a resident co-denoise asks of every window for one prediction round: the step and
/// iteration, which windows skip it (a fully certain window is not evaluated, and its neighbours expect nothing from
/// it), and which samples have settled (their cells are all certain from here on).
/// </summary>
/// <param name="Step">Outer step i.</param>
/// <param name="Iteration">0 for the step's first prediction, k = 1..K for refinement.</param>
/// <param name="Planned">K planned for the step (a window keeps a certain mask only when K &gt; 0).</param>
/// <param name="Skip">Per window of the plan: skipped this round. Empty at iteration 0 (none skipped).</param>
/// <param name="Settled">Per sample: settled by an earlier iteration of this step. Empty at iteration 0.</param>
/// <param name="Next">
/// The round that follows this one whatever the windows report (the step's first refinement after its first
/// prediction; the next step's first prediction after the step's last planned round), or null when what follows
/// depends on the reports (the early exit, the skips). A window starts it as soon as this round is done, before it is
/// asked, so the coordinator's round trip is off the critical path; the ask then joins the round already running.
/// </param>
public sealed record ResidentRoundOrder(int Step, int Iteration, int Planned, bool[] Skip, bool[] Settled, ResidentRoundOrder? Next = null)
{
    /// <summary>Whether window <paramref name="index"/> skips this round.</summary>
    public bool Skips(int index) => Skip.Length > index && Skip[index];

    /// <summary>Whether <paramref name="other"/> asks for the same round (skips and settled samples compared by value, a missing entry read as false; <see cref="Next"/> aside).</summary>
    public bool SameRound(ResidentRoundOrder other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Step == other.Step && Iteration == other.Iteration && Planned == other.Planned && SameFlags(Skip, other.Skip) && SameFlags(Settled, other.Settled);
    }

    private static bool SameFlags(bool[] a, bool[] b)
        => Enumerable.Range(0, Math.Max(a.Length, b.Length)).All(i => (i < a.Length && a[i]) == (i < b.Length && b[i]));
}

/// <summary>One window's answer to a <see cref="ResidentRoundOrder"/>.</summary>
/// <param name="CertainCells">
/// Per sample: certain cells over the frames the window answers for (<see cref="ResidentWindow.OwnedFrom"/>), after
/// the round's merge; empty after a step's first prediction (there is no mask yet).
/// </param>
/// <param name="AllCertain">Per sample: every cell of the window is certain (the coordinator's skip rule); empty at iteration 0.</param>
/// <param name="Evaluations">Forward passes the round cost (<see cref="Prediction.Evaluations"/>); 0 when skipped.</param>
/// <param name="SkippedEvaluations">Passes the field chose not to run (<see cref="Prediction.SkippedEvaluations"/>).</param>
/// <param name="Skipped">The window skipped the round.</param>
/// <param name="SentValues">Latent values the window sent to neighbours (its velocity over shared frames, once per reader).</param>
public sealed record ResidentRoundReport(long[] CertainCells, bool[] AllCertain, int Evaluations, int SkippedEvaluations, bool Skipped, long SentValues)
{
    /// <summary>The window had started the round before it was asked (<see cref="ResidentRoundOrder.Next"/>).</summary>
    public bool RanAhead { get; init; }
}

/// <summary>
/// One window of a resident co-denoise as its coordinator sees it: in this process (<see cref="ResidentWindowWorker"/>)
/// or on a shard, reached by messages. A window's rounds update it one after another: a round begins once the one
/// before has updated the window (that one may still be waiting for its sends to be acknowledged), and at most one
/// round ahead of the asks (<see cref="ResidentRoundOrder.Next"/>).
/// </summary>
public interface IResidentWindow
{
    /// <summary>The window.</summary>
    TemporalWindow Window { get; }

    /// <summary>Runs one round on the window: evaluate, exchange shared frames with the neighbours, fuse, update.</summary>
    Task<ResidentRoundReport> RoundAsync(ResidentRoundOrder order, CancellationToken cancellationToken);

    /// <summary>
    /// The window's latent after <paramref name="stepsDone"/> steps over the frames it answers for
    /// (<c>[B, C, owned, ...]</c>, owned by the caller); the step before is ended first if it is still open. The window
    /// may have run one step further ahead (<see cref="ResidentRoundOrder.Next"/>): it keeps the latent one step back.
    /// </summary>
    Task<TorchSharp.torch.Tensor> OwnedFramesAsync(int stepsDone, CancellationToken cancellationToken);
}

/// <summary>Names one piece of a velocity over shared frames: which window sends it to which, for which round and segment.</summary>
/// <param name="To">The receiving window.</param>
/// <param name="Step">Outer step.</param>
/// <param name="Iteration">Round within the step.</param>
/// <param name="From">The sending window.</param>
/// <param name="Frame">The segment's first video frame.</param>
public readonly record struct HaloKey(int To, int Step, int Iteration, int From, int Frame);

/// <summary>How a resident window's velocity over shared frames reaches the neighbours that read it.</summary>
public interface IHaloExchange
{
    /// <summary>Sends <paramref name="part"/> (borrowed: copied or encoded before this returns) to window <see cref="HaloKey.To"/>.</summary>
    Task SendAsync(HaloKey key, TorchSharp.torch.Tensor part, CancellationToken cancellationToken);

    /// <summary>Waits for the part named by <paramref name="key"/> (owned by the caller).</summary>
    Task<TorchSharp.torch.Tensor> ReceiveAsync(HaloKey key, CancellationToken cancellationToken);
}
