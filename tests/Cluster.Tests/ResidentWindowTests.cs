using Loom.Contracts.Jobs;
namespace Loom.Cluster.Tests;

/// <summary>
/// Resident windows (<c>Loom:ResidentWindows</c>): each window's latent and refinement state stay on one shard for the
/// job, velocities over shared frames go shard to shard, and the job gets the same bits as when it holds the latent.
/// </summary>
public sealed class ResidentWindowTests
{
    private static readonly Dictionary<string, string> Resident = new() { ["ResidentWindows"] = "true" };

    [Fact]
    public async Task A_six_window_job_on_resident_windows_gives_the_reference_bits_and_sends_each_window_once()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3, settings: Resident);
        // Given frames, refinement on steps 1-3 with windows skipped once certain: every resident path is used.
        JobSpec spec = Specs.SixWindows(seed: 7);

        await cluster.SubmitAsync("resident", spec);
        JobStatus done = await cluster.WaitFinalAsync("resident");

        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
        Assert.Equal(6 * 6 + 3 * 6, done.Evaluations + done.SkippedEvaluations);
        // Six windows, one shard each for the whole job, on more than one silo.
        Assert.InRange(done.Shards.Count, 3, 6);
        Assert.True(done.Shards.Select(s => s[..s.LastIndexOf('/')]).Distinct().Count() >= 2, $"shards: {string.Join(", ", done.Shards)}");
        // The job sent each window's latent once (float32); what came back is the latent, whole, once per checkpoint.
        long windowValues = 3L * 6 * 32 * 32, videoValues = 3L * 26 * 32 * 32;
        Assert.Equal(6 * windowValues * 4, done.BytesSent);
        Assert.Equal(spec.Steps * videoValues * 4, done.BytesReceived);
        // Refining once (steps 1-3), every round but the first follows whatever the windows report: each window began
        // it as the round before ended, and the job's ask joined it.
        Assert.Equal((6.0 * 8, 6.0), (await RoundsAsync(cluster, "ahead"), await RoundsAsync(cluster, "asked")));
    }

    /// <summary>Submits <paramref name="spec"/> and waits until it has run 3 steps with windows on a silo other than its host; that silo.</summary>
    private static async Task<(JobStatus Running, string Other)> RunningOnTwoSilosAsync(LoomTestCluster cluster, string jobId, JobSpec spec)
    {
        await cluster.SubmitAsync(jobId, spec);
        JobStatus running = await cluster.WaitAsync(jobId,
            s => s.IsFinal || (s.StepsDone >= 3 && s.Shards.Any(shard => !shard.StartsWith(s.Host + "/", StringComparison.Ordinal))));
        Assert.False(running.IsFinal, "the job must still be running when a silo holding its windows goes");
        return (running, running.Shards.Select(s => s[..s.LastIndexOf('/')]).First(silo => silo != running.Host));
    }

    /// <summary>The silos' <c>loom_resident_rounds_total</c> for rounds that <paramref name="began"/> so, summed.</summary>
    private static async Task<double> RoundsAsync(LoomTestCluster cluster, string began)
    {
        using var http = new HttpClient();
        string series = $"loom_resident_rounds_total{{began=\"{began}\"}} ";
        double sum = 0;
        foreach (SiloProcess silo in cluster.Silos)
        {
            string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{silo.MetricsPort}/metrics"));
            sum += double.Parse(text.Split('\n').Single(l => l.StartsWith(series, StringComparison.Ordinal))[series.Length..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return sum;
    }

    [Fact]
    public async Task Two_jobs_on_resident_windows_at_once_with_checkpoints_every_other_step_give_their_reference_bits()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 2, settings: Resident);
        // Every other step: a checkpoint's latent is gathered beside the next step, and the step after must wait for it.
        JobSpec first = Specs.SixWindows(seed: 8, steps: 7) with { CheckpointEvery = 2 };
        JobSpec second = Specs.SixWindows(seed: 9, steps: 5) with { Plan = "0-4:2" };
        await cluster.SubmitAsync("resident-a", first);
        await cluster.SubmitAsync("resident-b", second);
        JobStatus a = await cluster.WaitFinalAsync("resident-a"), b = await cluster.WaitFinalAsync("resident-b");

        Assert.True(a.Phase == JobPhase.Completed && b.Phase == JobPhase.Completed, $"{a.Error} {b.Error}");
        Assert.Equal(await cluster.ReferenceHashAsync(first), a.LatentSha256);
        Assert.Equal(await cluster.ReferenceHashAsync(second), b.LatentSha256);
        // Latents back: after steps 2, 4 and 6 for checkpoints, and the result after step 7.
        Assert.Equal(4 * 3L * 26 * 32 * 32 * 4, a.BytesReceived);
        Assert.Equal(0, a.Resumes + b.Resumes);
    }

    [Fact]
    public async Task Killing_a_silo_that_holds_resident_windows_resumes_from_the_checkpoint_with_the_same_video()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3, settings: Resident);
        JobSpec spec = Specs.SixWindows(seed: 33, steps: 30) with { Plan = "1-10:1" };
        (_, string victim) = await RunningOnTwoSilosAsync(cluster, "resident-kill", spec);

        await cluster.SiloOf(victim).KillAsync();
        JobStatus done = await cluster.WaitFinalAsync("resident-kill");

        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.True(done.Resumes >= 1, "the windows on the dead silo were lost: the job must have resumed from its checkpoint");
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }

    [Fact]
    public async Task Draining_a_silo_that_holds_resident_windows_moves_them_and_the_job_loses_no_step()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3,
            settings: new Dictionary<string, string>(Resident) { ["DrainTimeout"] = TimeSpan.FromSeconds(30).ToString() });
        JobSpec spec = Specs.SixWindows(seed: 34, steps: 150) with { Plan = "1-20:1" };
        (JobStatus running, string leaving) = await RunningOnTwoSilosAsync(cluster, "resident-drain", spec);

        // SIGTERM: the silo drains; the job, hosted elsewhere, takes its latent back between steps and opens its windows
        // on the shards that stay, before the silo leaves.
        SiloProcess silo = cluster.SiloOf(leaving);
        var (exitCode, elapsed) = await silo.TerminateAsync(TimeSpan.FromSeconds(45));
        Assert.True(exitCode == 0, $"the silo exited with {exitCode?.ToString() ?? "nothing (still running)"} after {elapsed.TotalSeconds:F1} s");
        Assert.Contains("drain: waiting for", silo.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("were not moved in time", silo.Log, StringComparison.Ordinal);
        JobStatus done = await cluster.WaitFinalAsync("resident-drain");

        Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
        Assert.True(done.Resumes == 0, $"resumed {done.Resumes} times; job's silo log:\n{cluster.SiloOf(running.Host).Log}");
        Assert.Contains("moved its resident windows off draining shards", cluster.SiloOf(running.Host).Log, StringComparison.Ordinal);
        Assert.Equal(await cluster.ReferenceHashAsync(spec), done.LatentSha256);
    }
}
