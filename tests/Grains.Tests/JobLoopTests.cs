using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Storage;
using Loom.Models.WorldModel;
using Loom.Sampling.Fields;
using Loom.Sampling.Windows;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Loom.Grains.Tests;

/// <summary>
/// The job loop without Orleans, its windows evaluated by the bundled model in process: it checkpoints at the job's
/// interval, a draining silo stops it right after a checkpoint, and the run resumed from there gives the bits of an
/// uninterrupted one; a failing field is retried, then fails the job.
/// </summary>
public sealed class JobLoopTests : IDisposable
{
    private static readonly Lazy<PhysicsWorldModel> Model = new(() => WorldModelWeights.Load(Path.Combine(GrainCluster.RepositoryRoot(), "models", "physics-world-model.safetensors")));

    private readonly string _directory = Directory.CreateTempSubdirectory("loom-jobloop-").FullName;

    [Fact]
    public async Task A_job_checkpoints_at_its_interval_and_completes_with_its_result()
    {
        JobSpec spec = Specs.Tiny(seed: 5) with { Steps = 5, CheckpointEvery = 2 };
        var host = new Host("a", spec, _directory);

        await Loop(host).RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);

        Assert.Equal(JobPhase.Completed, host.Finished);
        Assert.Equal([2, 4, 5], host.CheckpointedAt); // every 2 steps, and the last
        Assert.Equal(5, host.Job.StepsDone);
        Assert.Equal(5, host.Job.CertainFractions.Count);
        Assert.True(File.Exists(host.Job.OutputPath));
        Assert.Equal(new FileInfo(host.Job.OutputPath!).Length, host.Job.ResultBytes);
        Assert.Equal(1, host.Job.Epoch);
    }

    [Fact]
    public async Task A_draining_silo_stops_after_a_checkpoint_and_the_resumed_run_gives_the_same_bits()
    {
        JobSpec spec = Specs.Tiny(seed: 9) with { Steps = 4, CheckpointEvery = 3 };
        var whole = new Host("whole", spec, _directory);
        await Loop(whole).RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);

        var host = new Host("drained", spec, _directory) { Draining = true };
        await Loop(host).RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);
        Assert.True(host.Deactivated);
        Assert.Null(host.Finished);
        Assert.Equal([1], host.CheckpointedAt); // off the interval: the drain forced it
        Assert.Equal(1, host.Job.StepsDone);

        host.Draining = false;
        await Loop(host).RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);
        Assert.Equal(JobPhase.Completed, host.Finished);
        Assert.Equal([1, 3, 4], host.CheckpointedAt);
        Assert.Equal(whole.Job.LatentSha256, host.Job.LatentSha256);
        Assert.Equal(2, host.Job.Epoch);
    }

    [Fact]
    public async Task A_field_that_keeps_failing_interrupts_the_job_four_times_then_fails_it()
    {
        JobSpec spec = Specs.Tiny(seed: 1);
        var host = new Host("failing", spec, _directory) { Failing = true };
        JobLoop loop = Loop(host);

        for (int i = 1; i < StepPolicy.MaxFailuresInRow; i++)
        {
            await loop.RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);
            Assert.Null(host.Finished); // interrupted: stays Running for the heartbeat to resume
            Assert.Equal(i, loop.Policy.FailuresInRow);
        }
        await loop.RunJobAsync(JobRecipe.Resolve(spec), new JobCounters(), default);

        Assert.Equal(JobPhase.Failed, host.Finished);
        Assert.StartsWith("TimeoutException", host.Job.Error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private JobLoop Loop(Host host)
    {
        var metrics = new LoomMetrics(Prometheus.Metrics.NewCustomRegistry());
        var artifacts = new JobArtifacts(host.JobId, new FileLatentStore(Path.Combine(_directory, "latents")), new FileResultStore(Path.Combine(_directory, "results")), ResiliencePipeline.Empty, metrics, NullLogger.Instance);
        return new JobLoop(host, host, artifacts, metrics, NullLogger.Instance);
    }

    /// <summary>A host that keeps the state in memory and evaluates windows with the model in process.</summary>
    private sealed class Host(string jobId, JobSpec spec, string directory) : IJobLoopHost, IJobFields
    {
        public RenderJobState Job { get; } = RenderJobState.Accepted(JobRecipe.Resolve(spec), null, null, 0);

        public string JobId => jobId;

        public string OutputDirectory => Path.Combine(directory, "out");

        public bool Draining { get; set; }

        public bool Failing { get; init; }

        public bool CancelRequested => false;

        public List<int> CheckpointedAt { get; } = [];

        public JobPhase? Finished { get; private set; }

        public bool Deactivated { get; private set; }

        public void KeepAlive()
        {
        }

        public void ShowLive(WindowRunTally? run)
        {
        }

        public Task SaveAsync() => Task.CompletedTask;

        public void Checkpointed() => CheckpointedAt.Add(Job.StepsDone);

        public Task FinishAsync(JobPhase phase, string? error)
        {
            (Finished, Job.Phase, Job.Error) = (phase, phase, error);
            return Task.CompletedTask;
        }

        public void Deactivate() => Deactivated = true;

        public Task<WanJobStages?> PrepareAsync(string jobId, JobSpec spec, CancellationToken cancellationToken) => Task.FromResult<WanJobStages?>(null);

        public IVelocityField Field(string jobId, JobSpec spec, TemporalWindow window, FrameConditioning? given, JobCounters counters, WanJobStages? wan)
            => Failing ? throw new TimeoutException("no shard answered") : new WorldModelField(Model.Value, given, spec.Guidance);
    }
}
