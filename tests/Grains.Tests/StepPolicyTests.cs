using Loom.Contracts.Jobs;
using Loom.Contracts.Storage;
using Loom.Grains.Jobs;
using Orleans.Storage;

namespace Loom.Grains.Tests;

/// <summary>The job loop's failure policy: what repeats fails at once, what passes is retried a bounded number of times in a row.</summary>
public sealed class StepPolicyTests
{
    [Fact]
    public void Passing_failures_are_retried_until_five_in_a_row_then_the_job_fails()
    {
        var policy = new StepPolicy();
        var timeout = new TimeoutException("no shard answered");

        Assert.Equal([LoopFault.Interrupted, LoopFault.Interrupted, LoopFault.Interrupted, LoopFault.Interrupted, LoopFault.Failed],
            Enumerable.Range(0, StepPolicy.MaxFailuresInRow).Select(_ => policy.Classify(timeout, cancelled: false)));
    }

    [Fact]
    public void A_finished_step_starts_the_count_over()
    {
        var policy = new StepPolicy();
        for (int i = 0; i < StepPolicy.MaxFailuresInRow - 1; i++)
        {
            Assert.Equal(LoopFault.Interrupted, policy.Classify(new IOException("storage away"), cancelled: false));
        }
        policy.Succeeded();

        Assert.Equal(0, policy.FailuresInRow);
        Assert.Equal(LoopFault.Interrupted, policy.Classify(new IOException("storage away"), cancelled: false));
    }

    [Fact]
    public void Errors_that_would_repeat_on_resume_fail_the_job_at_once()
    {
        Assert.Equal(LoopFault.Failed, new StepPolicy().Classify(new InvalidJobSpecException("plan", "bad plan"), cancelled: false));
        Assert.Equal(LoopFault.Failed, new StepPolicy().Classify(new InvalidDataException("bad bytes"), cancelled: false));
        Assert.Equal(LoopFault.Failed, new StepPolicy().Classify(new NotSupportedException("no such join"), cancelled: false));
    }

    [Fact]
    public void A_newer_loop_supersedes_even_a_cancelled_one_and_a_cancel_is_no_failure()
    {
        var policy = new StepPolicy();

        Assert.Equal(LoopFault.Superseded, policy.Classify(new StaleCheckpointException("j", 2, 3), cancelled: true));
        Assert.Equal(LoopFault.Superseded, policy.Classify(new InconsistentStateException("etag"), cancelled: false));
        Assert.Equal(LoopFault.Stopped, policy.Classify(new TaskCanceledException(), cancelled: true));
        Assert.Equal(0, policy.FailuresInRow);
    }
}
