using Loom.Contracts.Jobs;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using Loom.Sampling.Sampler;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// One job's sampling, one step at a time, started fresh or resumed from a checkpoint, independent of where its
/// windows are evaluated: the render job grain plugs in fields that call shards, the in-process reference and the
/// benchmarks plug in the model, and all get the same bits. A checkpoint is the latent after a step and the step
/// count: noise depends only on (seed, step, iteration) and the certain mask starts empty each step, so nothing else
/// is needed to continue bit for bit. A job is one video: latent <c>[1, 3, F, H, W]</c>.
/// </summary>
public sealed class JobRun : IDisposable
{
    private readonly WindowedSampler _sampler;
    private readonly FrameConditioning? _conditioning;
    private readonly OpenResident? _openResident;
    private CoDenoiseRun? _coDenoise;
    private ResidentCoDenoise? _resident;
    private IResidentPlacement? _residentWindows;
    private (int StepsDone, Task Gather)? _gathering;
    private Tensor? _latent;

    /// <summary>
    /// Opens a co-denoising job's windows where they stay for the run (on shards: <see cref="ShardResidency"/>),
    /// each from its slice of <paramref name="latent"/> (borrowed) after <paramref name="stepsDone"/> steps.
    /// </summary>
    /// <returns>The windows, which say when they should move.</returns>
    public delegate Task<IResidentPlacement> OpenResident(
        Tensor latent, int stepsDone, FrameConditioning? conditioning, CancellationToken cancellationToken);

    private JobRun(
        JobRecipe recipe, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField, Tensor? latent, int stepsDone, WindowContinuation? continuation = null,
        OpenResident? resident = null)
    {
        Recipe = recipe;
        _openResident = recipe.IsStepwise ? resident : null;
        _sampler = new WindowedSampler(recipe.Windows, recipe.Spec.Join.ToSampler(), windowField, recipe.Schedule, recipe.Refinement, recipe.Spec.Blend.ToSampler(),
            continuation: continuation);
        _latent = latent;
        StepsDone = stepsDone;
        try
        {
            _conditioning = Given(recipe.Spec);
        }
        catch
        {
            latent?.Dispose();
            throw;
        }
    }

    /// <summary>The job it samples.</summary>
    public JobRecipe Recipe { get; }

    /// <summary>Outer steps finished.</summary>
    public int StepsDone { get; private set; }

    /// <summary>Times a resident run moved its windows off draining shards between steps.</summary>
    public int Moves { get; private set; }

    /// <summary>True once every step is done: <see cref="Latent"/> is the result.</summary>
    public bool IsDone => StepsDone >= Recipe.Steps;

    /// <summary>True when the last step ends a checkpoint interval (or the run): its latent should be saved.</summary>
    public bool CheckpointDue => Recipe.IsStepwise && StepsDone > 0 && (StepsDone % Recipe.Spec.CheckpointEvery == 0 || IsDone);

    /// <summary>The latent after <see cref="StepsDone"/> steps (borrowed); null before a whole run is done, and between a resident run's first and last step.</summary>
    public Tensor? Latent => _latent;

    /// <summary>Starts the job from pure noise (co-denoising) or from nothing (a whole run).</summary>
    /// <param name="recipe">The job.</param>
    /// <param name="windowField">The model's field for one window, conditioned on the clean frames given inside it.</param>
    /// <param name="continuation">Chained windows the model conditions on the window before (Wan image-to-video: <see cref="WanJobStages.Continue"/>); null otherwise.</param>
    /// <param name="resident">Opens a co-denoising job's windows where they stay (resident windows); null: the run holds the latent.</param>
    public static JobRun Start(
        JobRecipe recipe, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField, WindowContinuation? continuation = null, OpenResident? resident = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        Tensor? initial = recipe.IsStepwise ? SelfRefiningSampler.InitialLatent(recipe.Seeds, recipe.SampleShape) : null;
        return new JobRun(recipe, windowField, initial, 0, continuation, resident);
    }

    /// <summary>Resumes a co-denoising job after <paramref name="stepsDone"/> steps from its checkpointed latent.</summary>
    /// <param name="recipe">The job; co-denoising (the other joins run whole and restart).</param>
    /// <param name="windowField">The model's field for one window.</param>
    /// <param name="stepsDone">Steps the checkpoint is after.</param>
    /// <param name="latent">The checkpoint's latent bytes (<see cref="CheckpointAsync"/>).</param>
    /// <param name="resident">Opens the windows where they stay (resident windows); null: the run holds the latent.</param>
    public static JobRun Resume(JobRecipe recipe, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField, int stepsDone, byte[] latent, OpenResident? resident = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(latent);
        if (!recipe.IsStepwise)
        {
            throw new ArgumentException($"a {recipe.Spec.Join} job runs whole and cannot resume from a checkpoint.", nameof(recipe));
        }
        if (stepsDone < 0 || stepsDone > recipe.Steps)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsDone), stepsDone, $"stepsDone must be in 0..{recipe.Steps}.");
        }
        if (latent.LongLength != recipe.LatentBytes)
        {
            throw new ArgumentException($"the checkpoint's latent has {latent.LongLength} bytes; the job's has {recipe.LatentBytes}.", nameof(latent));
        }
        return new JobRun(recipe, windowField, WireCodec.FromBytes(latent, recipe.SampleShape), stepsDone, resident: resident);
    }

    /// <summary>Samples <paramref name="spec"/> start to finish in this process; returns the final latent (owned by the caller).</summary>
    /// <param name="spec">A valid job.</param>
    /// <param name="windowField">The model's field for one window.</param>
    /// <param name="onStep">Called after each step (once for a whole run).</param>
    /// <param name="cancellationToken">Cancels between and within steps.</param>
    /// <param name="continuation">Chained windows the model conditions on the window before; null otherwise.</param>
    public static async Task<Tensor> RunAsync(
        JobSpec spec, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField, Action<JobStep>? onStep = null, CancellationToken cancellationToken = default,
        WindowContinuation? continuation = null)
    {
        using JobRun run = Start(JobRecipe.Resolve(spec), windowField, continuation);
        while (!run.IsDone)
        {
            JobStep step = await run.StepAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            onStep?.Invoke(step);
        }
        return run.TakeLatent();
    }

    /// <summary>
    /// The next step: one outer co-denoising step from the current latent, or the whole run for the other joins.
    /// Not thread-safe: one step at a time.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every step is done.</exception>
    /// <param name="onWindowStep">For a whole run: each window's step reports as they end (any thread), for live progress.</param>
    /// <param name="cancellationToken">Stops the step.</param>
    public async Task<JobStep> StepAsync(Action<StepReport>? onWindowStep = null, CancellationToken cancellationToken = default)
    {
        if (IsDone)
        {
            throw new InvalidOperationException($"the job's {Recipe.Steps} steps are done.");
        }
        if (!Recipe.IsStepwise)
        {
            using WindowedResult result = await _sampler.SampleAsync(Recipe.Seeds, Recipe.SampleShape, _conditioning, onWindowStep, cancellationToken).ConfigureAwait(false);
            _latent = TensorBlock.Run(() => result.Latent.clone());
            StepsDone = Recipe.Steps;
            return new JobStep(StepsDone, result.Steps, IsWholeRun: true);
        }
        if (_openResident is not null)
        {
            return await ResidentStepAsync(cancellationToken).ConfigureAwait(false);
        }
        _coDenoise ??= _sampler.StartCoDenoise(_conditioning);
        StepOutcome outcome = await _coDenoise.Sampler.StepAsync(_latent!, StepsDone, Recipe.Seeds, cancellationToken).ConfigureAwait(false);
        _latent!.Dispose();
        _latent = outcome.Latent;
        StepsDone++;
        return new JobStep(StepsDone, [outcome.Report], IsWholeRun: false);
    }

    /// <summary>
    /// One step on resident windows: opened at the first step from the latent (which the run then lets go), the latent
    /// gathered back after the last.
    /// </summary>
    private async Task<JobStep> ResidentStepAsync(CancellationToken cancellationToken)
    {
        if (_resident is not null && await _residentWindows!.ShouldMoveAsync(cancellationToken).ConfigureAwait(false))
        {
            await MoveResidentAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_resident is null)
        {
            IResidentPlacement placement = await _openResident!(_latent!, StepsDone, _conditioning, cancellationToken).ConfigureAwait(false);
            _residentWindows = placement;
            _resident = new ResidentCoDenoise(Recipe.Windows, Recipe.Schedule, Recipe.Refinement, _sampler.SkipCertainWindows, Recipe.Seeds,
                Recipe.SampleShape.Skip(1).Aggregate(1L, (a, b) => a * b), placement.Windows);
            _latent!.Dispose();
            _latent = null;
        }
        // This step moves the windows past the latent a checkpoint may still be gathering: let it finish.
        await GatheredAsync(before: StepsDone).ConfigureAwait(false);
        StepReport report = await _resident.StepAsync(StepsDone, cancellationToken).ConfigureAwait(false);
        StepsDone++;
        if (IsDone)
        {
            _latent = await _resident.GatherAsync(StepsDone, cancellationToken).ConfigureAwait(false);
        }
        return new JobStep(StepsDone, [report], IsWholeRun: false);
    }

    /// <summary>
    /// Takes the latent back from the windows after <see cref="StepsDone"/> steps and closes them, so the next step opens
    /// them anew (off the draining shards): what a resume from a checkpoint at this step would do, so the same bits.
    /// </summary>
    private async Task MoveResidentAsync(CancellationToken cancellationToken)
    {
        // A checkpoint still gathering reads these windows: let it finish first.
        await GatheredAsync(before: int.MaxValue).ConfigureAwait(false);
        _latent = await _resident!.GatherAsync(StepsDone, cancellationToken).ConfigureAwait(false);
        _resident.Dispose();
        _residentWindows!.Dispose();
        (_resident, _residentWindows) = (null, null);
        Moves++;
    }

    /// <summary>
    /// Waits for the checkpoint's gather in flight, if it reads a latent from before step <paramref name="before"/>
    /// (its failure is the checkpoint write's to report).
    /// </summary>
    private async Task GatheredAsync(int before)
    {
        if (_gathering is { } gathering && gathering.StepsDone < before)
        {
            _gathering = null;
            await gathering.Gather.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The current latent's float32 bytes, as checkpointed (and resumed with <see cref="Resume"/>); a resident run's
    /// gathered from its windows, which may run beside the next step (the windows keep the latent it reads until the
    /// step after that begins).
    /// </summary>
    public async Task<byte[]> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        if (_latent is null && _resident is not null)
        {
            Task<Tensor> gather = _resident.GatherAsync(StepsDone, cancellationToken);
            _gathering = (StepsDone, gather);
            using Tensor gathered = await gather.ConfigureAwait(false);
            return WireCodec.ToBytes(gathered);
        }
        return WireCodec.ToBytes(_latent ?? throw new InvalidOperationException("a whole run has no latent before it is done."));
    }

    /// <summary>Hands the latent over to the caller (who disposes it); the run holds none after.</summary>
    public Tensor TakeLatent()
    {
        Tensor latent = _latent ?? throw new InvalidOperationException("the run has no latent yet.");
        _latent = null;
        return latent;
    }

    /// <summary>The given frames of <paramref name="spec"/> as a clean latent over the whole video, or null.</summary>
    private static FrameConditioning? Given(JobSpec spec)
    {
        if (spec.Conditioning is not { Count: > 0 } given)
        {
            return null;
        }
        Tensor clean = TensorBlock.Run(() =>
        {
            using Scalar half = 127.5.ToScalar(), one = 1.0.ToScalar();
            Tensor frames = tensor(given.Rgb).reshape(given.Count, spec.Height, spec.Width, 3)
                .permute(3, 0, 1, 2).to(ScalarType.Float32).div(half).sub(one);
            Tensor rest = zeros(3, spec.Frames - given.Count, spec.Height, spec.Width);
            return cat([frames, rest], 1).unsqueeze(0);
        });
        return new FrameConditioning(clean, Enumerable.Range(0, spec.Frames).Select(f => f < given.Count).ToArray());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _resident?.Dispose();
        _residentWindows?.Dispose();
        _coDenoise?.Dispose();
        _conditioning?.Clean.Dispose();
        _latent?.Dispose();
        _latent = null;
    }
}
