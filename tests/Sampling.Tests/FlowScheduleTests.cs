using Loom.Sampling.Schedules;

namespace Loom.Sampling.Tests;

public sealed class FlowScheduleTests
{
    // Reference values derived outside C# by following diffusers' FlowMatchEulerDiscreteScheduler step by step
    // (float32 training sigmas, float64 linspace, float32 result), and Wan's uniform-then-shift rule.
    private static readonly double[] DiffusersTenStepsShift3 =
    {
        1.0, 0.9601293206214905, 0.9133489727973938, 0.857692301273346, 0.7903682589530945, 0.7072784900665283,
        0.602150559425354, 0.4648760259151459, 0.2780487835407257, 0.008928571827709675, 0.0,
    };

    private static readonly double[] DiffusersFourStepsShift5 = { 1.0, 0.9097071290016174, 0.7173174619674683, 0.0244140662252903, 0.0 };

    private static readonly double[] UniformTenStepsShift3 =
    {
        1.0, 0.9642857142857144, 0.9230769230769231, 0.8749999999999999, 0.818181818181818, 0.75,
        0.6666666666666667, 0.5625, 0.4285714285714285, 0.24999999999999994, 0.0,
    };

    [Fact]
    public void Uniform_schedule_is_uniform_in_one_to_zero_then_shifted_and_the_default()
    {
        var schedule = FlowSchedule.Create(10, 3.0);
        Assert.Equal(ScheduleKind.Uniform, schedule.Kind);
        Assert.Equal(UniformTenStepsShift3, schedule.Sigmas.ToArray(), new ToleranceComparer(1e-12));
        Assert.Equal(1000.0, schedule.Timestep(0));
        Assert.Equal(750.0, schedule.Timestep(5), 9);
    }

    [Fact]
    public void Wan_schedule_starts_at_0_999_then_shifts_and_passes_integer_timesteps()
    {
        var schedule = FlowSchedule.Create(40, 3.0, ScheduleKind.Wan);

        // shift((1 - 1/1000)(1 - i/N)): i = 0 -> 2.997 / 2.998, i = 10 -> 3 * 0.74925 / 2.4985.
        Assert.Equal(2.997 / 2.998, schedule.Sigma(0), 12);
        Assert.Equal(3 * 0.74925 / 2.4985, schedule.Sigma(10), 12);
        Assert.Equal(0.0, schedule.Sigma(40));
        Assert.Equal(999.0, schedule.Timestep(0));
        Assert.Equal(899.0, schedule.Timestep(10)); // 899.64 truncated; the uniform grid had exactly 900 here
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(Math.Floor(schedule.Timestep(i)), schedule.Timestep(i)));
        Assert.Equal(900.0, FlowSchedule.Create(40, 3.0).Timestep(10), 9);
    }

    [Theory]
    [InlineData(10, 3.0)]
    [InlineData(4, 5.0)]
    public void Diffusers_schedule_matches_its_flow_match_euler_scheduler(int steps, double shift)
    {
        double[] expected = steps == 10 ? DiffusersTenStepsShift3 : DiffusersFourStepsShift5;
        var schedule = FlowSchedule.Create(steps, shift, ScheduleKind.DiffusersEuler);
        Assert.Equal(expected, schedule.Sigmas.ToArray(), new ToleranceComparer(1e-7));
    }

    [Fact]
    public void Shift_one_is_the_plain_linear_schedule()
    {
        var schedule = FlowSchedule.Create(4, 1.0);
        Assert.Equal(new[] { 1.0, 0.75, 0.5, 0.25, 0.0 }, schedule.Sigmas.ToArray());
    }

    [Theory]
    [InlineData(0, 1.0, "steps")]
    [InlineData(10, 0.0, "shift")]
    [InlineData(10, double.NaN, "shift")]
    public void Bad_arguments_name_the_field(int steps, double shift, string field)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => FlowSchedule.Create(steps, shift));
        Assert.Equal(field, error.ParamName);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
