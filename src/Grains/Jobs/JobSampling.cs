using System.Security.Cryptography;
using Loom.Contracts.Jobs;
using Loom.Grains.Shards;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// The sampling a job spec describes, independent of where its windows are evaluated: the render job grain plugs in
/// fields that call shards, a test or benchmark plugs in the model in-process, and both get the same bits.
/// A job is one video: latent <c>[1, 3, F, H, W]</c> in [-1, 1] pixel space for the physics model.
/// </summary>
public sealed class JobSampling : IDisposable
{
    private readonly JobSpec _spec;
    private readonly WindowedSampler _sampler;
    private readonly FrameConditioning? _conditioning;
    private CoDenoiseRun? _run;

    /// <summary>Prepares sampling for a validated <paramref name="spec"/>.</summary>
    /// <param name="spec">The job.</param>
    /// <param name="windowField">The model's field for one window, conditioned on the clean frames given inside it.</param>
    public JobSampling(JobSpec spec, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField)
    {
        _spec = spec;
        Windows = JobSpecValidator.Windows(spec);
        var refinement = new RefinementOptions(RefinementPlan.Parse(spec.Plan), spec.Tau);
        // Wan samples on its own sigma grid (integer timesteps); the physics model on the grid it was trained with.
        var schedule = FlowSchedule.Create(spec.Steps, spec.Shift, spec.IsWan ? ScheduleKind.Wan : ScheduleKind.Uniform);
        _sampler = new WindowedSampler(Windows, spec.Join.ToSampler(), windowField, schedule, refinement, spec.Blend.ToSampler());
        _conditioning = Given(spec);
    }

    /// <summary>The job's windows.</summary>
    public WindowPlan Windows { get; }

    /// <summary>True when steps can be taken (and checkpointed) one at a time: co-denoising.</summary>
    public bool IsStepwise => _spec.Join == Contracts.Jobs.WindowJoin.CoDenoise;

    /// <summary>Shape of the job's latent without the batch axis: pixels for the physics model, the VAE's latent for Wan.</summary>
    public long[] SampleShape => _spec.IsWan ? WanJobStages.SampleShape(_spec) : [3, _spec.Frames, _spec.Height, _spec.Width];

    /// <summary>The seed list of the one-video batch.</summary>
    public long[] Seeds => [_spec.Seed];

    /// <summary>Pure noise at sigma 1 for the job's seed.</summary>
    public Tensor InitialLatent() => SelfRefiningSampler.InitialLatent(Seeds, SampleShape);

    /// <summary>One co-denoising step from <paramref name="z"/> (borrowed) at step <paramref name="step"/>.</summary>
    public Task<StepOutcome> StepAsync(Tensor z, int step, CancellationToken cancellationToken = default)
    {
        _run ??= _sampler.StartCoDenoise(_conditioning);
        return _run.Sampler.StepAsync(z, step, Seeds, cancellationToken);
    }

    /// <summary>The whole run for independent and chained joins (no intermediate checkpoints).</summary>
    public Task<WindowedResult> SampleAllAsync(Action<StepReport>? onStep = null, CancellationToken cancellationToken = default)
        => _sampler.SampleAsync(Seeds, SampleShape, _conditioning, onStep, cancellationToken);

    /// <summary>Samples <paramref name="spec"/> start to finish in this process; returns the final latent.</summary>
    public static async Task<Tensor> RunAsync(
        JobSpec spec, Func<TemporalWindow, FrameConditioning?, IVelocityField> windowField, Action<StepReport>? onStep = null, CancellationToken cancellationToken = default)
    {
        using var sampling = new JobSampling(spec, windowField);
        if (!sampling.IsStepwise)
        {
            using WindowedResult result = await sampling.SampleAllAsync(onStep, cancellationToken).ConfigureAwait(false);
            return TensorBlock.Run(() => result.Latent.clone());
        }
        Tensor z = sampling.InitialLatent();
        for (int step = 0; step < spec.Steps; step++)
        {
            StepOutcome outcome = await sampling.StepAsync(z, step, cancellationToken).ConfigureAwait(false);
            z.Dispose();
            z = outcome.Latent;
            onStep?.Invoke(outcome.Report);
        }
        return z;
    }

    /// <summary>The latent's float32 bytes (little-endian), as checkpointed and hashed.</summary>
    public static byte[] ToBytes(Tensor latent) => WireCodec.ToBytes(latent);

    /// <summary>A latent of <paramref name="sampleShape"/> (batch 1) from <see cref="ToBytes"/>' bytes.</summary>
    public static Tensor FromBytes(byte[] bytes, long[] sampleShape) => WireCodec.FromBytes(bytes, sampleShape);

    /// <summary>SHA-256 (hex) of the latent's float32 bytes.</summary>
    public static string Hash(Tensor latent) => Convert.ToHexString(SHA256.HashData(ToBytes(latent))).ToLowerInvariant();

    /// <summary>Video frames as RGB bytes <c>[F, H, W, 3]</c> from a pixel-space latent <c>[1, 3, F, H, W]</c> in [-1, 1].</summary>
    public static byte[] ToRgb(Tensor latent) => TensorBlock.Read(() =>
    {
        using Scalar low = (-1.0).ToScalar(), high = 1.0.ToScalar(), half = 127.5.ToScalar();
        return latent[0].clamp(low, high).add(high).mul(half).round().to(ScalarType.Byte).permute(1, 2, 3, 0).contiguous().data<byte>().ToArray();
    });

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
        _run?.Dispose();
        _conditioning?.Clean.Dispose();
    }
}
