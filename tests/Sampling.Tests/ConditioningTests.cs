using Loom.Sampling.Fields;
using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

public sealed class ConditioningTests
{
    [Fact]
    public async Task Conditioned_frames_end_exactly_at_the_given_frames_and_are_certain_at_once()
    {
        long[] shape = [2, 4, 3, 3]; // C, F, H, W
        using var given = full(new long[] { 1, 2, 4, 3, 3 }, 0.7f);
        bool[] frames = [true, true, false, false];
        using var field = new ConditionedFrames(FunctionField.Nonlinear(), given, frames);
        var options = new RefinementOptions(RefinementPlan.Parse("0-4:2"), tau: 1e-4);
        using SampleResult result = await new SelfRefiningSampler(field, FlowSchedule.Create(8, 3.0), options).SampleAsync([3], shape);

        using var scope = NewDisposeScope();
        Tensor error = (result.Latent[.., .., ..2] - 0.7f).abs().max();
        Assert.True(error.item<float>() < 1e-5, $"given frames drifted by {error.item<float>()}");
        Tensor free = result.Latent[.., .., 2..];
        Assert.True((free - 0.7f).abs().max().item<float>() > 0.01, "the free frames should be the model's, not the given ones");
        // Half of the cells are given, so at least half are certain after the first perturbation of every refined step.
        Assert.All(result.Steps.Where(s => s.PlannedIterations > 0), s => Assert.True(s.CertainFractions[0] >= 0.5));
    }

    [Theory]
    [InlineData(ScheduleKind.Wan, 9)]     // the reference: step 10 has t = 899 < 900, the low-noise expert
    [InlineData(ScheduleKind.Uniform, 10)] // the old grid put step 10 at t = 900, on the high-noise expert
    public async Task Wan_two_experts_switch_on_the_integer_timestep_at_40_steps_shift_3_boundary_0_9(ScheduleKind kind, int lastHighStep)
    {
        var high = FunctionField.Nonlinear();
        var low = FunctionField.Nonlinear();
        var schedule = FlowSchedule.Create(40, 3.0, kind);
        var field = new TwoExpertField(high, low, boundary: 0.9);
        using SampleResult result = await new SelfRefiningSampler(field, schedule).SampleAsync([1], [2, 3]);

        Assert.Equal(Enumerable.Range(0, lastHighStep + 1), high.Calls.Select(c => c.Step));
        Assert.Equal(Enumerable.Range(lastHighStep + 1, 39 - lastHighStep), low.Calls.Select(c => c.Step));
        Assert.All(high.Calls.Concat(low.Calls), c => Assert.Equal(schedule.Timestep(c.Step), c.Timestep));
    }

    [Fact]
    public async Task Two_experts_switch_at_the_boundary_and_every_iteration_of_a_step_uses_the_same_one()
    {
        var high = FunctionField.Nonlinear();
        var low = FunctionField.Nonlinear();
        var schedule = FlowSchedule.Create(10, 3.0);
        var field = new TwoExpertField(high, low, boundary: 0.875);
        var options = new RefinementOptions(RefinementPlan.Parse("0-6:2"));
        using SampleResult result = await new SelfRefiningSampler(field, schedule, options).SampleAsync([1], [2, 3]);

        Assert.All(high.Calls, c => Assert.True(schedule.Timestep(c.Step) >= 875));
        Assert.All(low.Calls, c => Assert.True(schedule.Timestep(c.Step) < 875));
        Assert.Empty(high.Calls.Select(c => c.Step).Intersect(low.Calls.Select(c => c.Step)));
        int lastHigh = Enumerable.Range(0, 10).Last(i => schedule.Timestep(i) >= 875);
        Assert.Equal(3 * (lastHigh + 1), high.Calls.Count);
        Assert.Contains(high.Calls, c => c.Iteration == 2);
    }
}
