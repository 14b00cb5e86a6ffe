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
