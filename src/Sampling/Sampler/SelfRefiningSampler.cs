using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using Loom.Sampling.Refinement;
using Loom.Sampling.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Sampler;

/// <summary>
/// The flow-matching Euler sampler with Predict-and-Perturb self-refinement (Jang et al., 2026), exactly as in
/// docs/architecture.md §2. One step is a public operation so a job can checkpoint between steps; a run is a loop
/// over it. Latents are <c>[B, C, ...]</c>; a "cell" is one position of <c>[...]</c> across all C channels.
/// </summary>
public sealed class SelfRefiningSampler
{
    private readonly IVelocityField _field;

    /// <summary>Samples <paramref name="field"/> on <paramref name="schedule"/>, refining as <paramref name="refinement"/> says.</summary>
    /// <param name="field">The velocity field to sample.</param>
    /// <param name="schedule">The sigmas to walk.</param>
    /// <param name="refinement">The P&amp;P plan and uncertainty settings; none by default.</param>
    /// <param name="noiseSlice">When the latent is a window of a larger one, the noise is the larger one's, narrowed.</param>
    /// <exception cref="RefinementPlanException">The plan names steps past the schedule.</exception>
    public SelfRefiningSampler(IVelocityField field, FlowSchedule schedule, RefinementOptions? refinement = null, NoiseSlice? noiseSlice = null)
    {
        refinement ??= RefinementOptions.None;
        refinement.Plan.ValidateFor(schedule.Steps);
        _field = field;
        Schedule = schedule;
        Refinement = refinement;
        NoiseSlice = noiseSlice;
    }

    /// <summary>The sigmas the sampler walks.</summary>
    public FlowSchedule Schedule { get; }

    /// <summary>The refinement plan and its uncertainty settings.</summary>
    public RefinementOptions Refinement { get; }

    /// <summary>Where this sampler's latent sits in a larger latent whose noise it shares; null for a whole latent.</summary>
    public NoiseSlice? NoiseSlice { get; }

    /// <summary>The initial latent for <paramref name="seeds"/>: pure noise, one sample per seed.</summary>
    public static Tensor InitialLatent(IReadOnlyList<long> seeds, ReadOnlySpan<long> sampleShape, Device? device = null, NoiseSlice? slice = null)
        => DeterministicNoise.Initial(seeds, sampleShape, ScalarType.Float32, device, slice);

    /// <summary>Runs all steps from pure noise.</summary>
    /// <param name="seeds">One seed per sample; the batch size.</param>
    /// <param name="sampleShape">Shape of one sample's latent, <c>[C, ...]</c>.</param>
    /// <param name="onStep">Called after every step with its report.</param>
    /// <param name="device">Where the latent lives (noise is always drawn on the CPU).</param>
    /// <param name="cancellationToken">Cancels between and within steps.</param>
    public async Task<SampleResult> SampleAsync(
        IReadOnlyList<long> seeds,
        long[] sampleShape,
        Action<StepReport>? onStep = null,
        Device? device = null,
        CancellationToken cancellationToken = default)
    {
        using Tensor initial = InitialLatent(seeds, sampleShape, device, NoiseSlice);
        return await SampleFromAsync(initial, 0, seeds, onStep, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs steps <paramref name="firstStep"/>..N-1 from <paramref name="latent"/> (borrowed), e.g. a checkpoint
    /// saved after step <c>firstStep - 1</c>. Resuming this way reproduces an uninterrupted run bit for bit.
    /// </summary>
    public async Task<SampleResult> SampleFromAsync(
        Tensor latent,
        int firstStep,
        IReadOnlyList<long> seeds,
        Action<StepReport>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        if (firstStep < 0 || firstStep > Schedule.Steps)
        {
            throw new ArgumentOutOfRangeException(nameof(firstStep), firstStep, $"firstStep must be in 0..{Schedule.Steps}.");
        }
        var reports = new List<StepReport>(Schedule.Steps - firstStep);
        Tensor current = TensorBlock.Run(() => latent.clone());
        try
        {
            for (int step = firstStep; step < Schedule.Steps; step++)
            {
                StepOutcome outcome = await StepAsync(current, step, seeds, cancellationToken).ConfigureAwait(false);
                current.Dispose();
                current = outcome.Latent;
                reports.Add(outcome.Report);
                onStep?.Invoke(outcome.Report);
            }
            return new SampleResult(current, reports);
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One outer step i: a plain Euler step when the plan gives K = 0 here, else Predict-and-Perturb with K extra
    /// predictions, confined by the uncertainty mask when tau &gt; 0.
    /// </summary>
    /// <param name="z">Latent at <c>sigma_i</c>, <c>[B, C, ...]</c>; borrowed.</param>
    /// <param name="step">Step index i.</param>
    /// <param name="seeds">One seed per sample; perturbation noise is <c>eps(seed, i, k)</c>.</param>
    /// <param name="cancellationToken">Cancels between predictions.</param>
    /// <returns>The latent at <c>sigma_{i+1}</c> (owned by the caller) and the step's report.</returns>
    public async Task<StepOutcome> StepAsync(Tensor z, int step, IReadOnlyList<long> seeds, CancellationToken cancellationToken = default)
    {
        if (step < 0 || step >= Schedule.Steps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be in 0..{Schedule.Steps - 1}.");
        }
        if (z.dim() < 2 || z.shape[0] != seeds.Count)
        {
            throw new ArgumentException($"latent must be [B, C, ...] with B = {seeds.Count} (one per seed); got [{string.Join(", ", z.shape)}].", nameof(z));
        }

        double s = Schedule.Sigma(step);
        double sNext = Schedule.NextSigma(step);
        int planned = Refinement.Plan.ExtraAt(step);
        var context = new StepContext(step, s, sNext) { Timestep = Schedule.Timestep(step) };
        var fractions = new List<double>(planned);
        int predictions = 0;
        int evaluations = 0;
        int refineEvaluations = 0;
        int skippedEvaluations = 0;
        Tensor? x0 = null;
        Tensor? next = null;
        Tensor? certain = null;
        long[] sampleShape = z.shape[1..];
        // The perturbation noise of iteration k depends only on (seed, step, k): it is drawn on the pool while prediction
        // k - 1 is out (on shards, for a cluster job), not after it, on the step's critical path.
        Task<Tensor>? nextNoise = planned > 0 ? DrawAsync(seeds, step, 1, sampleShape, z.dtype, z.device) : null;
        try
        {
            // Prediction 0: x0 = z - s v, next = z + (s_next - s) v.
            using (Prediction first = await _field.PredictAsync(z, context, cancellationToken).ConfigureAwait(false))
            {
                predictions++;
                evaluations += first.Evaluations;
                skippedEvaluations += first.SkippedEvaluations;
                (x0, next) = TensorBlock.Run(() => PredictAndPerturb.Euler(z, first.Velocity, s, sNext));
            }

            int batch = seeds.Count;
            var settled = new bool[batch];
            int iteration = 1;
            if (planned > 0)
            {
                long[] cellShape = (long[])z.shape.Clone();
                cellShape[1] = 1;
                certain = TensorBlock.Run(() => zeros(cellShape, ScalarType.Bool, z.device));
            }
            for (; iteration <= planned && !settled.All(done => done); iteration++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Perturb: back to the same noise level s with fresh noise, around the (mask-blended) x0.
                Tensor perturbed;
                Task<Tensor> drawn = nextNoise!;
                nextNoise = null;
                using (Tensor eps = await drawn.ConfigureAwait(false))
                {
                    perturbed = PredictAndPerturb.Perturb(x0, eps, s);
                }
                nextNoise = iteration < planned ? DrawAsync(seeds, step, iteration + 1, sampleShape, z.dtype, z.device) : null;
                using (perturbed)
                using (Prediction refined = await _field.PredictAsync(
                    perturbed, context with { Iteration = iteration, CertainCells = certain }, cancellationToken).ConfigureAwait(false))
                {
                    predictions++;
                    evaluations += refined.Evaluations;
                    refineEvaluations += refined.Evaluations;
                    skippedEvaluations += refined.SkippedEvaluations;
                    var merged = PredictAndPerturb.Merge(perturbed, refined.Velocity, x0, next!, certain!, s, sNext, Refinement.Tau, Refinement.P);
                    x0.Dispose();
                    next!.Dispose();
                    certain!.Dispose();
                    (x0, next, certain) = merged;
                    double cells = certain.numel() / (double)batch;
                    double[] sampleFractions = PredictAndPerturb.CertainCounts(certain).Select(n => n / cells).ToArray();
                    fractions.Add(sampleFractions.Average());
                    Settle(sampleFractions, settled, certain);
                }
            }

            var report = new StepReport(
                step, s, sNext, predictions, evaluations, skippedEvaluations, planned, planned - (iteration - 1), fractions, refineEvaluations);
            Tensor result = next;
            next = null;
            return new StepOutcome(result, report);
        }
        finally
        {
            x0?.Dispose();
            next?.Dispose();
            certain?.Dispose();
            // Drawn for an iteration that did not run (the step settled early or failed): freed once it is done.
            nextNoise?.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    /// <summary><see cref="DeterministicNoise.Batch"/> of iteration <paramref name="iteration"/>, drawn on the thread pool.</summary>
    private Task<Tensor> DrawAsync(IReadOnlyList<long> seeds, int step, int iteration, long[] sampleShape, ScalarType dtype, Device device)
        => Task.Run(() => DeterministicNoise.Batch(seeds, step, iteration, sampleShape, dtype, device, NoiseSlice));

    /// <summary>
    /// Early exit, per sample: once a sample's certain share passes the threshold the rest of its iterations are
    /// skipped. Freezing all its cells is the same as stopping it, and keeps a batch equal to its samples run alone.
    /// </summary>
    private void Settle(double[] sampleFractions, bool[] settled, Tensor certain)
    {
        for (int b = 0; b < settled.Length; b++)
        {
            if (!settled[b] && sampleFractions[b] > Refinement.CertainFraction)
            {
                settled[b] = true;
                PredictAndPerturb.Settle(certain, b);
            }
        }
    }
}
