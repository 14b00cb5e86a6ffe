using Loom.Sampling.Refinement;

namespace Loom.Sampling.Tests;

public sealed class RefinementPlanTests
{
    [Fact]
    public void Parses_the_reference_wan_plan()
    {
        var plan = RefinementPlan.Parse("2-5:3,6-13:1");
        Assert.Equal(new[] { new RefinementRange(2, 5, 3), new RefinementRange(6, 13, 1) }, plan.Ranges);
        Assert.Equal(0, plan.ExtraAt(1));
        Assert.Equal(3, plan.ExtraAt(2));
        Assert.Equal(3, plan.ExtraAt(5));
        Assert.Equal(1, plan.ExtraAt(13));
        Assert.Equal(0, plan.ExtraAt(14));
        Assert.Equal(4 * 3 + 8 * 1, plan.TotalExtra);
        Assert.Equal("2-5:3,6-13:1", plan.ToString());
    }

    [Fact]
    public void Nfe_is_steps_plus_extra_and_doubles_with_guidance()
    {
        var plan = RefinementPlan.Parse("2-5:3,6-13:1");
        Assert.Equal(60, plan.Nfe(40, guided: false));
        Assert.Equal(120, plan.Nfe(40, guided: true));
        Assert.True(plan.Nfe(40, guided: true) <= 1.5 * RefinementPlan.None.Nfe(40, guided: true));
    }

    [Fact]
    public void Single_steps_spaces_and_any_order_are_accepted_and_round_trip()
    {
        var plan = RefinementPlan.Parse(" 7:2 , 0-1:1 ");
        Assert.Equal("0-1:1,7:2", plan.ToString());
        Assert.Equal(plan.ToString(), RefinementPlan.Parse(plan.ToString()).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("none")]
    [InlineData(null)]
    public void Empty_text_is_the_empty_plan(string? text)
    {
        Assert.True(RefinementPlan.Parse(text).IsEmpty);
    }

    [Theory]
    [InlineData("2-5:3,4-8:1", "overlap at step 4")]
    [InlineData("5-2:1", "item 1 ('5-2:1'): range is reversed")]
    [InlineData("1-2:1,3-4:-1", "item 2 ('3-4:-1'): K = -1")]
    [InlineData("1-2:99", "K = 99 is outside 0..16")]
    [InlineData("abc", "item 1 ('abc'): expected 'first-last:K'")]
    [InlineData("1-x:2", "last step 'x' is not an integer")]
    [InlineData("1-2:", "K '' is not an integer")]
    [InlineData("-3:1", "step -3 is negative")]
    public void Bad_plans_say_what_and_where(string text, string expected)
    {
        var error = Assert.Throws<RefinementPlanException>(() => RefinementPlan.Parse(text));
        Assert.Equal("plan", error.ParamName);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_plan_past_the_last_step_is_refused_for_that_run()
    {
        var plan = RefinementPlan.Parse("2-5:3,6-13:1");
        plan.ValidateFor(14);
        var error = Assert.Throws<RefinementPlanException>(() => plan.ValidateFor(10));
        Assert.Contains("range 6-13:1 reaches step 13, but the run has 10 steps", error.Message);
    }

    [Fact]
    public void Ranges_built_in_code_are_checked_too()
    {
        Assert.Throws<RefinementPlanException>(() => new RefinementPlan([new(0, 3, 1), new(3, 4, 1)]));
        Assert.Equal(2, new RefinementPlan([new(4, 4, 2)]).ExtraAt(4));
    }
}
