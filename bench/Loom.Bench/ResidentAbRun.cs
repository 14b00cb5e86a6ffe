using System.Diagnostics;
using Loom.Contracts.Shards;
using Loom.Grains.Routing;
using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using Loom.Sampling.Windows;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Bench;

/// <summary>
/// The job-owned and the shard-resident co-denoise side by side in this process, on Wan 480p-sized windows: the same
/// job (fp16 wire rounding included, as a shard applies it) stepped both ways, its bits compared, and the CPU time
/// split into what the job's silo does and what each window's shard does. The model is one multiply: the forward pass
/// is not what is measured.
/// </summary>
public static class ResidentAbRun
{
    /// <summary>Runs <paramref name="steps"/> steps of a <paramref name="windows"/>-window video both ways.</summary>
    public static IEnumerable<string> Run(int windows, int overlap, int steps, string plan)
    {
        var windowPlan = new WindowPlan(WanPayloadScaling.WindowLatents + (windows - 1) * (WanPayloadScaling.WindowLatents - overlap), WanPayloadScaling.WindowLatents, overlap);
        long[] shape = [3, windowPlan.Frames, WanPayloadScaling.Height, WanPayloadScaling.Width];
        long[] seeds = [1];
        var shardTicks = new long[1];
        IVelocityField Field(TemporalWindow window, FrameConditioning? conditioning) => new TimedField(new WireRoundedField(new HalfField(), WirePrecision.Float16), shardTicks);
        var sampler = new WindowedSampler(windowPlan, WindowJoin.CoDenoise, Field, FlowSchedule.Create(steps, 3.0), new RefinementOptions(RefinementPlan.Parse(plan), tau: 0.05));
        int rounds = sampler.Refinement.Plan.Nfe(steps, guided: false);
        using Tensor initial = SelfRefiningSampler.InitialLatent(seeds, shape);

        long started = Stopwatch.GetTimestamp();
        Tensor owned = TensorBlock.Run(() => initial.clone());
        using (CoDenoiseRun run = sampler.StartCoDenoise(null))
        {
            for (int step = 0; step < steps; step++)
            {
                StepOutcome outcome = run.Sampler.StepAsync(owned, step, seeds).GetAwaiter().GetResult();
                owned.Dispose();
                owned = outcome.Latent;
            }
        }
        double ownedTotal = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double ownedShards = Stopwatch.GetElapsedTime(0, shardTicks[0]).TotalSeconds;

        shardTicks[0] = 0;
        started = Stopwatch.GetTimestamp();
        Tensor resident;
        long exchanged;
        using (ResidentCoDenoise run = sampler.StartResident(seeds, initial))
        {
            run.SampleAsync().GetAwaiter().GetResult();
            exchanged = run.ExchangedValues;
            resident = run.GatherAsync(steps).GetAwaiter().GetResult();
        }
        double residentTotal = Stopwatch.GetElapsedTime(started).TotalSeconds;
        bool same = owned.bytes.SequenceEqual(resident.bytes); // every bit
        owned.Dispose();
        resident.Dispose();

        double ms(double seconds) => seconds * 1000 / rounds;
        double latentMb = shape.Aggregate(4.0, (a, b) => a * b) / 1e6;
        yield return $"in-process A/B, {windows} Wan-sized windows ({latentMb:F0} MB fp32 latent), {steps} steps, plan {plan}, tau 0.05: {rounds} rounds, same bits both ways: {(same ? "yes" : "NO")}, {LoadAverage.Now()}";
        yield return $"  job owns the latent: {ms(ownedTotal - ownedShards):F0} ms/round on the job's thread (slice, fusion, P&P, noise of the whole latent; wire rounding of the windows' latents and velocities at the job and shards {ms(ownedShards):F0} ms, i.e. {ms(ownedShards) / windows:F0} ms per shard)";
        yield return $"  windows resident:   {ms(residentTotal) / windows:F0} ms/round per window's shard ({ms(residentTotal):F0} ms for all {windows} here, one after another); {exchanged * 2.0 / rounds / 1e6:F1} MB of shared-frame velocities (fp16) per round in all, job: {windows} counts";
    }

    /// <summary>A stand-in model: <c>v = z / 2</c>.</summary>
    private sealed class HalfField : IVelocityField
    {
        public Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(new Prediction(TensorBlock.Run(() =>
            {
                using Scalar half = 0.5.ToScalar();
                return z.mul(half);
            }), 1));
    }

    /// <summary>Adds the time <paramref name="inner"/> takes to <paramref name="ticks"/>[0].</summary>
    private sealed class TimedField(IVelocityField inner, long[] ticks) : IVelocityField
    {
        public async Task<Prediction> PredictAsync(Tensor z, StepContext context, CancellationToken cancellationToken = default)
        {
            long started = Stopwatch.GetTimestamp();
            Prediction prediction = await inner.PredictAsync(z, context, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref ticks[0], Stopwatch.GetTimestamp() - started);
            return prediction;
        }
    }
}
