using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

public sealed class SamplerTests
{
    private static readonly long[] Shape = [3, 4, 5];
    private static readonly long[] Seeds = [11, 12];

    [Fact]
    public async Task Empty_plan_equals_a_plain_euler_loop_bit_for_bit()
    {
        var schedule = FlowSchedule.Create(12, 3.0);
        var field = FunctionField.Nonlinear();
        using SampleResult result = await new SelfRefiningSampler(field, schedule).SampleAsync(Seeds, Shape);

        using var scope = NewDisposeScope();
        Tensor z = DeterministicNoise.Initial(Seeds, Shape);
        for (int i = 0; i < schedule.Steps; i++)
        {
            double s = schedule.Sigma(i);
            using Prediction p = await field.PredictAsync(z, new StepContext(i, s, schedule.NextSigma(i)));
            z = z + (schedule.NextSigma(i) - s) * p.Velocity;
        }
        Assert.True(Bits.Same(z, result.Latent));
        Assert.Equal(schedule.Steps, result.Evaluations);
    }

    [Fact]
    public async Task Infinite_tau_returns_plain_euler_with_one_extra_prediction_per_planned_step()
    {
        var schedule = FlowSchedule.Create(12, 3.0);
        var plan = RefinementPlan.Parse("1-4:3,6-8:1");
        using SampleResult plain = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule).SampleAsync(Seeds, Shape);
        using SampleResult refined = await new SelfRefiningSampler(
            FunctionField.Nonlinear(), schedule, new RefinementOptions(plan, tau: double.PositiveInfinity)).SampleAsync(Seeds, Shape);

        Assert.True(Bits.Same(plain.Latent, refined.Latent));
        Assert.Equal(schedule.Steps + 7, refined.Evaluations);
        StepReport step2 = refined.Steps[2];
        Assert.Equal((3, 2, 2), (step2.PlannedIterations, step2.IterationsSkipped, step2.Predictions));
        Assert.Equal(1.0, step2.CertainFraction);
    }

    [Fact]
    public async Task Plain_pnp_with_tau_zero_never_marks_a_cell_certain_and_changes_the_sample()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("1-6:3"), tau: 0.0);
        using SampleResult plain = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule).SampleAsync(Seeds, Shape);
        using SampleResult refined = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options).SampleAsync(Seeds, Shape);

        Assert.All(refined.Steps.SelectMany(s => s.CertainFractions), fraction => Assert.Equal(0.0, fraction));
        Assert.All(refined.Steps.Where(s => s.PlannedIterations > 0), s => Assert.Equal(0, s.IterationsSkipped));
        Assert.Equal(10 + 18, refined.Evaluations);
        Assert.False(Bits.Same(plain.Latent, refined.Latent));
    }

    [Fact]
    public async Task Uncertainty_mask_only_grows_within_a_step()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("0-7:3"), tau: 0.05);
        using SampleResult result = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options).SampleAsync(Seeds, Shape);

        var fractions = result.Steps.SelectMany(s => s.CertainFractions).ToArray();
        Assert.Contains(fractions, f => f > 0 && f < 1);
        foreach (StepReport step in result.Steps)
        {
            for (int k = 1; k < step.CertainFractions.Count; k++)
            {
                Assert.True(step.CertainFractions[k] >= step.CertainFractions[k - 1], $"step {step.Step}: mask shrank");
            }
        }
    }

    [Fact]
    public async Task Early_exit_lowers_the_evaluation_count()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        var plan = RefinementPlan.Parse("0-7:3");
        using SampleResult pnp = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, new RefinementOptions(plan)).SampleAsync(Seeds, Shape);
        using SampleResult aware = await new SelfRefiningSampler(
            FunctionField.Nonlinear(), schedule, new RefinementOptions(plan, tau: 1.5)).SampleAsync(Seeds, Shape);

        Assert.Equal(plan.Nfe(10, guided: false), pnp.Evaluations);
        int skipped = aware.Steps.Sum(s => s.IterationsSkipped);
        Assert.True(skipped > 0, "no step exited early: " + string.Join(" ", aware.Steps.SelectMany(s => s.CertainFractions).Select(f => f.ToString("F3"))));
        Assert.Equal(pnp.Evaluations - skipped, aware.Evaluations);
    }

    [Fact]
    public async Task Guidance_doubles_the_evaluations_and_off_guidance_does_not()
    {
        var schedule = FlowSchedule.Create(8, 3.0);
        var plan = RefinementPlan.Parse("1-3:2");
        var options = new RefinementOptions(plan);
        var guided = new ClassifierFreeGuidance(FunctionField.Linear(0.5, 0.2), FunctionField.Linear(0.5, -0.2), 5.0);
        var unguided = new ClassifierFreeGuidance(FunctionField.Linear(0.5, 0.2), FunctionField.Linear(0.5, -0.2), 1.0);
        using SampleResult a = await new SelfRefiningSampler(guided, schedule, options).SampleAsync(Seeds, Shape);
        using SampleResult b = await new SelfRefiningSampler(unguided, schedule, options).SampleAsync(Seeds, Shape);

        Assert.Equal(plan.Nfe(8, guided: true), a.Evaluations);
        Assert.Equal(plan.Nfe(8, guided: false), b.Evaluations);
        Assert.Equal(a.Predictions, b.Predictions);
    }

    [Fact]
    public async Task Guided_velocity_is_uncond_plus_scale_times_difference()
    {
        var guided = new ClassifierFreeGuidance(FunctionField.Linear(0.0, 1.0), FunctionField.Linear(0.0, 0.25), 4.0);
        using var z = zeros(1, 1, 2);
        using Prediction p = await guided.PredictAsync(z, new StepContext(0, 0.5, 0.25));
        Assert.Equal(new[] { 3.25f, 3.25f }, p.Velocity.data<float>().ToArray());
    }

    [Fact]
    public async Task Same_seed_gives_the_same_bits_and_another_seed_does_not()
    {
        var schedule = FlowSchedule.Create(8, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("1-4:2"), tau: 0.1);
        var sampler = new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options);
        using SampleResult first = await sampler.SampleAsync(Seeds, Shape);
        using SampleResult second = await sampler.SampleAsync(Seeds, Shape);
        using SampleResult other = await sampler.SampleAsync([11, 13], Shape);
        Assert.True(Bits.Same(first.Latent, second.Latent));
        Assert.True(Bits.Same(first.Latent[0], other.Latent[0]));
        Assert.False(Bits.Same(first.Latent[1], other.Latent[1]));
    }

    [Fact]
    public async Task Resuming_from_a_saved_step_latent_equals_the_uninterrupted_run()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("1-6:2"), tau: 0.1);
        var sampler = new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options);
        using SampleResult whole = await sampler.SampleAsync(Seeds, Shape);

        // Run 4 steps, "checkpoint" the latent as raw floats, drop everything, and resume from the bytes.
        using var initial = SelfRefiningSampler.InitialLatent(Seeds, Shape);
        var latent = initial.clone();
        for (int i = 0; i < 4; i++)
        {
            StepOutcome outcome = await sampler.StepAsync(latent, i, Seeds);
            latent.Dispose();
            latent = outcome.Latent;
        }
        float[] saved = latent.data<float>().ToArray();
        long[] shape = latent.shape;
        latent.Dispose();

        using var restored = tensor(saved).reshape(shape);
        using SampleResult resumed = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options).SampleFromAsync(restored, 4, Seeds);
        Assert.True(Bits.Same(whole.Latent, resumed.Latent));
        Assert.Equal(whole.Steps.Skip(4).Select(s => s.Predictions), resumed.Steps.Select(s => s.Predictions));
    }

    [Fact]
    public async Task A_batch_equals_its_samples_run_alone_even_when_they_exit_early_at_different_times()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("0-8:3"), tau: 0.3, certainFraction: 0.9);
        long[] shape = [2, 5];
        var sampler = new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options);
        using SampleResult batch = await sampler.SampleAsync([21, 22], shape);
        using SampleResult first = await sampler.SampleAsync([21], shape);
        using SampleResult second = await sampler.SampleAsync([22], shape);

        // The precondition that makes this test bite: the two samples settle at different iterations somewhere.
        Assert.Contains(Enumerable.Range(0, 10), i => first.Steps[i].Predictions != second.Steps[i].Predictions);
        Assert.True(Bits.Same(batch.Latent[0], first.Latent[0]));
        Assert.True(Bits.Same(batch.Latent[1], second.Latent[0]));
    }

    [Fact]
    public async Task Step_reports_carry_index_sigma_and_iterations()
    {
        var schedule = FlowSchedule.Create(6, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("2:2"));
        var reports = new List<StepReport>();
        using SampleResult result = await new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options)
            .SampleAsync(Seeds, Shape, reports.Add);
        Assert.Equal(Enumerable.Range(0, 6), reports.Select(r => r.Step));
        Assert.Equal(schedule.Sigma(2), reports[2].Sigma);
        Assert.Equal(schedule.NextSigma(2), reports[2].NextSigma);
        Assert.Equal((3, 2, 0, 2), (reports[2].Predictions, reports[2].PlannedIterations, reports[2].IterationsSkipped, reports[2].CertainFractions.Count));
        Assert.Equal(1, reports[3].Predictions);
    }

    [Fact]
    public void A_plan_longer_than_the_schedule_is_refused()
    {
        var error = Assert.Throws<RefinementPlanException>(() =>
            new SelfRefiningSampler(FunctionField.Nonlinear(), FlowSchedule.Create(5), new RefinementOptions(RefinementPlan.Parse("3-6:1"))));
        Assert.Equal("plan", error.ParamName);
    }
}
