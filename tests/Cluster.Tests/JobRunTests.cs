using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Models.WorldModel;
using Loom.Sampling.Fields;
using FrameConditioning = Loom.Sampling.Windows.FrameConditioning;
using TemporalWindow = Loom.Sampling.Windows.TemporalWindow;

namespace Loom.Cluster.Tests;

/// <summary>
/// The one job run, in process: resumed from a checkpoint it gives the bits of an uninterrupted run, each step reports
/// its own refinement evaluations, joins without shared steps run whole, and the status is the state's.
/// </summary>
public sealed class JobRunTests : IDisposable
{
    private readonly string _models = TestModel.Write();
    private readonly PhysicsWorldModel _model;

    public JobRunTests() => _model = TestModel.Load(_models);

    [Fact]
    public async Task A_run_resumed_from_its_checkpoint_gives_the_bits_of_an_uninterrupted_run()
    {
        JobSpec spec = Specs.SixWindows(seed: 4);
        using var whole = await JobRun.RunAsync(spec, Field(spec));

        JobRecipe recipe = JobRecipe.Resolve(spec);
        byte[] checkpoint;
        using (JobRun first = JobRun.Start(recipe, Field(spec)))
        {
            await first.StepAsync();
            await first.StepAsync();
            Assert.True(first.CheckpointDue);
            checkpoint = await first.CheckpointAsync();
        }
        using JobRun resumed = JobRun.Resume(recipe, Field(spec), 2, checkpoint);
        while (!resumed.IsDone)
        {
            await resumed.StepAsync();
        }

        Assert.Equal(JobSampling.Hash(whole), JobSampling.Hash(resumed.Latent!));
        Assert.Throws<InvalidOperationException>(() => resumed.StepAsync().GetAwaiter().GetResult());
    }

    [Fact]
    public async Task Each_step_reports_its_own_refinement_evaluations()
    {
        JobSpec spec = Specs.SixWindows(seed: 4); // 6 windows, plan 1-3:1: one refinement prediction of every window at steps 1..3
        var steps = new List<JobStep>();
        using var latent = await JobRun.RunAsync(spec, Field(spec), steps.Add);

        Assert.Equal([1, 2, 3, 4, 5, 6], steps.Select(s => s.StepsDone));
        Assert.Equal([0, 6, 6, 6, 0, 0], steps.Select(s => s.RefineEvaluations));
        Assert.Equal([6, 12, 12, 12, 6, 6], steps.Select(s => s.Evaluations));
        Assert.All(steps, s => Assert.False(s.IsWholeRun));
        Assert.Equal([false, true, true, true, false, false], steps.Select(s => s.Refined));
    }

    [Fact]
    public async Task An_independent_job_runs_whole_in_one_step_and_cannot_resume()
    {
        JobSpec spec = Specs.SixWindows(seed: 4) with { Join = WindowJoin.Independent };
        JobRecipe recipe = JobRecipe.Resolve(spec);
        using JobRun run = JobRun.Start(recipe, Field(spec));

        JobStep step = await run.StepAsync();

        Assert.True(step.IsWholeRun);
        Assert.True(run.IsDone);
        Assert.False(run.CheckpointDue);
        Assert.Null(step.CertainFraction);
        Assert.Equal(6 * spec.Steps, step.Reports.Count); // every window's own steps
        Assert.Equal(6 * 3, step.RefineEvaluations); // each window refines once at steps 1..3
        Assert.Throws<ArgumentException>(() => JobRun.Resume(recipe, Field(spec), 2, new byte[recipe.LatentBytes]));
    }

    [Fact]
    public void A_checkpoint_of_another_size_or_step_is_refused_and_a_bad_plan_names_its_field()
    {
        JobRecipe recipe = JobRecipe.Resolve(Specs.SixWindows(seed: 4));

        Assert.Throws<ArgumentException>(() => JobRun.Resume(recipe, Field(recipe.Spec), 2, new byte[recipe.LatentBytes - 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => JobRun.Resume(recipe, Field(recipe.Spec), recipe.Steps + 1, new byte[recipe.LatentBytes]));
        var error = Assert.Throws<InvalidJobSpecException>(() => JobRecipe.Resolve(recipe.Spec with { Plan = "9:1" }));
        Assert.Equal("plan", error.Field);
    }

    [Fact]
    public void The_status_is_the_state_field_by_field()
    {
        JobSpec spec = Specs.Small(seed: 1);
        RenderJobState job = RenderJobState.Accepted(JobRecipe.Resolve(spec), "key-1", "abc", epoch: 7);
        job.Phase = JobPhase.Completed;
        (job.StepsDone, job.Evaluations, job.RefineEvaluations, job.SkippedEvaluations) = (3, 40, 12, 2);
        job.CertainFractions = [0.5, 0.75];
        job.Shards = ["s/0", "s/1"];
        (job.Error, job.OutputPath, job.LatentSha256) = ("none", "out/x.safetensors", "ff");
        (job.Resumes, job.Retries, job.AdmissionOrder) = (2, 1, 9);
        (job.StartedAt, job.FinishedAt, job.ResultBytes, job.ResultSha256) = (job.SubmittedAt.AddSeconds(1), job.SubmittedAt.AddSeconds(5), 1234, "ee");
        (job.WireMessages, job.WireBytesSent, job.WireBytesReceived) = (17, 1000, 2000);

        JobStatus status = job.ToStatus("job-1", "host-1", new JobCounters());

        Assert.Equal(new JobStatus("job-1", JobPhase.Completed, spec, 3, 40, 12, 2, status.CertainFractions, "none", "out/x.safetensors", "ff", 2, 1,
            status.Shards, job.SubmittedAt, job.StartedAt, job.FinishedAt, 9, "host-1", status.Windows, "key-1", "abc", 1234, 17, 1000, 2000, "ee"), status);
        Assert.Equal([0.5, 0.75], status.CertainFractions);
        Assert.Equal(["s/0", "s/1"], status.Shards);
        Assert.Equal(job.Windows.ToArray(), status.Windows!.ToArray());
        Assert.Throws<JobNotFoundException>(() => new RenderJobState().ToStatus("none", "host-1", null));
    }

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_models, recursive: true);
    }

    private Func<TemporalWindow, FrameConditioning?, IVelocityField> Field(JobSpec spec)
        => (w, c) => new WireRoundedField(new WorldModelField(_model, c, spec.Guidance), spec.Wire);
}
