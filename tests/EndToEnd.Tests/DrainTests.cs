using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>A lone silo told to stop (SIGTERM) mid-job: NOT_SERVING while it drains, exit 0, and the job goes on after a restart.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task A_terminated_silo_reports_not_serving_exits_0_and_its_job_resumes_from_the_checkpoint_after_a_restart()
    {
        SiloFixture first = await SiloFixture.StartAsync("DrainTimeout=00:00:30");
        SiloFixture? second = null;
        try
        {
            Job submitted = await first.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = Requests.Long(seed: 81) }, SiloFixture.Deadline());
            Job running = await WaitAsync(first, submitted.JobId, j => j.StepsDone >= 3);

            Task<(int? ExitCode, TimeSpan Elapsed)> exit = first.Silo.TerminateAsync(TimeSpan.FromSeconds(45));
            bool notServing = false;
            HealthCheckResponse.Types.ServingStatus? liveness = null;
            while (!exit.IsCompleted && !notServing)
            {
                try
                {
                    HealthCheckResponse health = await first.Health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                    notServing = health.Status == HealthCheckResponse.Types.ServingStatus.NotServing;
                    if (notServing)
                    {
                        liveness = (await first.Health.CheckAsync(new HealthCheckRequest { Service = "liveness" }, deadline: DateTime.UtcNow.AddSeconds(2))).Status;
                    }
                }
                catch (RpcException)
                {
                    // Not listening yet or any more: keep asking until it answers or exits.
                }
                await Task.Delay(20);
            }
            var (exitCode, elapsed) = await exit;
            Assert.True(notServing, $"health never said NOT_SERVING during the drain. Log:\n{first.Log}");
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, liveness); // Kubernetes' liveness probe must not restart a draining pod
            Assert.True(exitCode == 0, $"exit {exitCode?.ToString() ?? "none (still running)"} after {elapsed.TotalSeconds:F1} s. Log:\n{first.Log}");
            Match stopped = Regex.Match(first.Log, $@"job {submitted.JobId} stopped after step (\d+) with a checkpoint");
            Assert.True(stopped.Success, $"the job loop did not stop at a step boundary. Log:\n{first.Log}");
            int drainedAt = int.Parse(stopped.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(drainedAt >= running.StepsDone);

            // The same data folder on a new silo: the job was checkpointed at the drain, so it resumes there, not from 0.
            second = await SiloFixture.StartAsync($"DataDirectory={first.DataDirectory}");
            Job seen = await second.Jobs.GetJobAsync(new GetJobRequest { JobId = submitted.JobId }, SiloFixture.Deadline());
            Assert.True(seen.StepsDone >= drainedAt, $"steps done {seen.StepsDone} after the restart, {drainedAt} at the drain");
            Job resumed = await WaitAsync(second, submitted.JobId, j => j.Resumes >= 1 && j.StepsDone > drainedAt);
            Assert.Equal(JobState.Running, resumed.State);
            await second.Jobs.CancelJobAsync(new CancelJobRequest { JobId = submitted.JobId }, SiloFixture.Deadline());
        }
        finally
        {
            // The second silo first: the first fixture's disposal deletes the data folder both used.
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task Open_watch_streams_end_at_drain_start_the_silo_exits_within_its_drain_timeout_and_the_cli_follows_on_the_next_server()
    {
        TimeSpan drainTimeout = TimeSpan.FromSeconds(10);
        SiloFixture silo = await SiloFixture.StartAsync($"DrainTimeout={drainTimeout}");
        SiloFixture? next = null;
        string folder = Directory.CreateTempSubdirectory("loom-e2e-drain-cli-").FullName;
        int nextPort = Cluster.Tests.Ports.Free();
        try
        {
            var spec = new JobSpec { Frames = 8, Steps = 60, Plan = "none", WindowLength = 8, WindowOverlap = 0, Seed = 83 };
            Job submitted = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, SiloFixture.Deadline());
            await WaitAsync(silo, submitted.JobId, j => j.StepsDone >= 1);
            var watchers = Enumerable.Range(0, 3).Select(_ => WatchUntilEndAsync(silo, submitted.JobId)).ToArray();
            await Task.WhenAll(watchers.Select(w => w.FirstEvent));
            using LoomCli cli = LoomCli.Start(folder, "watch", submitted.JobId, "--json", "--server", $"{silo.GrpcAddress},http://127.0.0.1:{nextPort}");
            await cli.WaitForOutputAsync("\"job_id\"", TimeSpan.FromSeconds(30));

            var (exitCode, elapsed) = await silo.Silo.TerminateAsync(TimeSpan.FromSeconds(90));

            Assert.True(exitCode == 0, $"exit {exitCode?.ToString() ?? "none (still running)"} after {elapsed.TotalSeconds:F1} s. Log:\n{silo.Log}");
            Assert.True(elapsed < drainTimeout, $"the silo took {elapsed.TotalSeconds:F1} s to exit with watchers open; its drain timeout is {drainTimeout.TotalSeconds} s. Log:\n{silo.Log}");
            foreach (var watcher in watchers)
            {
                RpcException ended = Assert.IsType<RpcException>(await watcher.End);
                Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
                Assert.Contains("draining", ended.Status.Detail, StringComparison.Ordinal);
                Assert.Contains("watch again", ended.Status.Detail, StringComparison.Ordinal);
            }

            // The next server: a silo on the same data, where the job resumes; the CLI follows it there to the end.
            next = await SiloFixture.StartAsync($"DataDirectory={silo.DataDirectory}", $"GrpcPort={nextPort}");
            LoomResult followed = await cli.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(followed.ExitCode == 0, $"loom watch exited {followed.ExitCode}: {followed.Stderr}\n{followed.Stdout}");
            Assert.Contains("\"completed\"", followed.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            if (next is not null)
            {
                await next.DisposeAsync();
            }
            await silo.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A watch: a task done at its first event, and one with the error it ends in (null if it ended cleanly).</summary>
    private static (Task FirstEvent, Task<Exception?> End) WatchUntilEndAsync(SiloFixture silo, string jobId)
    {
        var first = new TaskCompletionSource();
        async Task<Exception?> Run()
        {
            try
            {
                using AsyncServerStreamingCall<JobEvent> watch = silo.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(120));
                await foreach (JobEvent _ in watch.ResponseStream.ReadAllAsync())
                {
                    first.TrySetResult();
                }
                return null;
            }
            catch (Exception e)
            {
                first.TrySetResult();
                return e;
            }
        }
        return (first.Task, Run());
    }

    private static async Task<Job> WaitAsync(SiloFixture silo, string jobId, Func<Job, bool> predicate)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            Job job = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, SiloFixture.Deadline());
            if (predicate(job))
            {
                return job;
            }
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} stuck at {job.State} step {job.StepsDone}. Log:\n{silo.Log}");
            await Task.Delay(100);
        }
    }
}
