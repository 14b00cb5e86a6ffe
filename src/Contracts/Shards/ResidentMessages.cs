using Loom.Contracts.Jobs;

namespace Loom.Contracts.Shards;

/// <summary>
/// Names one job's resident windows on the shards: the job, the epoch of the loop that opened them (a newer loop's
/// windows never meet a superseded loop's) and the loop's placement attempt (a late close of a refused attempt never
/// meets the next one's windows).
/// </summary>
/// <param name="JobId">The job.</param>
/// <param name="Epoch">The job loop's epoch.</param>
/// <param name="Attempt">The placement attempt within the loop, from 1.</param>
[GenerateSerializer, Alias("loom.resident-job"), Immutable]
public sealed record ResidentJob(string JobId, long Epoch, int Attempt = 1);

/// <summary>
/// Opens one window of a co-denoising job on a shard, where it stays for the job: its slice of the latent (float32,
/// exact) after <paramref name="StepsDone"/> steps, the shard of every window (its neighbours' velocities over shared
/// frames are sent shard to shard), and the window's conditioning as the job-owned path would send it.
/// </summary>
/// <param name="Job">The job and its loop's epoch.</param>
/// <param name="Spec">The job's spec (the shard resolves its windows, schedule and plan from it).</param>
/// <param name="Window">The window's index in the job's plan.</param>
/// <param name="Shards">Each window's shard, in plan order.</param>
/// <param name="StepsDone">Steps the latent is after.</param>
/// <param name="Shape">The window's latent shape <c>[1, C, L, ...]</c>.</param>
/// <param name="Latent">The window's latent, float32.</param>
/// <param name="ConditioningKey">The conditioning's key, or null when none.</param>
/// <param name="Conditioning">Given frames inside the window and a Wan job's encoded inputs, or null.</param>
/// <param name="Guidance">Per step of the job: the classifier-free guidance scale (what the job decides per timestep, sent once so a window can run a round before it is asked).</param>
/// <param name="Experts">Per step: the expert of a several-expert model, or null for a one-expert model.</param>
[GenerateSerializer, Alias("loom.resident-open.v2"), Immutable]
public sealed record ResidentOpenRequest(
    ResidentJob Job, JobSpec Spec, int Window, string[] Shards, int StepsDone, long[] Shape, WireTensor Latent, string? ConditioningKey, WindowConditioning? Conditioning,
    double[] Guidance, string[]? Experts);

/// <summary>One round of one resident window (<c>ResidentRoundOrder</c> in the sampler).</summary>
/// <param name="Job">The job and its loop's epoch.</param>
/// <param name="Window">The window.</param>
/// <param name="Step">Outer step.</param>
/// <param name="Iteration">0 for the step's first prediction, k for refinement.</param>
/// <param name="Planned">K planned for the step.</param>
/// <param name="Skip">Per window of the plan: skipped this round (empty at iteration 0).</param>
/// <param name="Settled">Per sample: settled (empty at iteration 0).</param>
/// <param name="Next">The round that follows whatever the windows report, which the window starts as soon as this one is done; null when it depends on them.</param>
[GenerateSerializer, Alias("loom.resident-round.v2"), Immutable]
public sealed record ResidentRoundRequest(ResidentJob Job, int Window, int Step, int Iteration, int Planned, bool[] Skip, bool[] Settled, ResidentNextRound? Next);

/// <summary>A round a resident window runs before it is asked (no window skips it, no sample has settled).</summary>
/// <param name="Step">Outer step.</param>
/// <param name="Iteration">Round within the step.</param>
/// <param name="Planned">K planned for the step.</param>
[GenerateSerializer, Alias("loom.resident-next-round"), Immutable]
public sealed record ResidentNextRound(int Step, int Iteration, int Planned);

/// <summary>A resident window's answer to one round.</summary>
/// <param name="CertainCells">Per sample: certain cells over the frames the window answers for (empty at iteration 0).</param>
/// <param name="AllCertain">Per sample: every cell of the window certain (empty at iteration 0).</param>
/// <param name="Evaluations">Forward passes run.</param>
/// <param name="SkippedEvaluations">Forward passes the field chose not to run.</param>
/// <param name="Skipped">The window skipped the round.</param>
/// <param name="SentValues">Latent values sent to neighbours.</param>
/// <param name="ShardId">The shard that ran it.</param>
[GenerateSerializer, Alias("loom.resident-round-result"), Immutable]
public sealed record ResidentRoundResult(long[] CertainCells, bool[] AllCertain, int Evaluations, int SkippedEvaluations, bool Skipped, long SentValues, string ShardId);

/// <summary>A window's velocity over frames it shares, sent to the shard of a window that reads them.</summary>
/// <param name="Job">The job and its loop's epoch.</param>
/// <param name="To">The receiving window.</param>
/// <param name="Step">Outer step.</param>
/// <param name="Iteration">Round within the step.</param>
/// <param name="From">The sending window.</param>
/// <param name="Frame">The segment's first video frame.</param>
/// <param name="Shape">The part's shape <c>[B, C, count, ...]</c>.</param>
/// <param name="Values">The velocity, in the job's wire precision (the precision it came from the model in: exact).</param>
[GenerateSerializer, Alias("loom.resident-halo"), Immutable]
public sealed record ResidentHalo(ResidentJob Job, int To, int Step, int Iteration, int From, int Frame, long[] Shape, WireTensor Values);
